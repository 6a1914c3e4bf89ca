"""Rows by status at a cost that does not grow with the table: for the gauges of /metrics.

Each status is counted exactly up to EXACT_UP_TO rows (an index-only scan that stops there:
microseconds); past it, PostgreSQL's planner estimate is used (statistics kept by autovacuum's
ANALYZE, within a few percent), so a scrape costs a few milliseconds whether a table holds a
thousand rows or a million. The small figures alerts look at (posts stuck in `publishing`,
jobs waiting) are always exact. SQLite (development) counts exactly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.db import connections
from django.db.models import Model, QuerySet

EXACT_UP_TO = 1000


def status_counts(
    queryset: QuerySet[Model], values: Iterable[str], *, field: str = "status"
) -> dict[str, int]:
    """`{value: rows}` of `queryset` for each value of `field`: one statement per value, plus
    one EXPLAIN for each value with more than EXACT_UP_TO rows (PostgreSQL only)."""
    vendor = connections[queryset.db].vendor
    counts = {}
    for value in values:
        rows = status_rows(queryset, value, field=field)
        if vendor != "postgresql":
            counts[value] = rows.count()
            continue
        exact = rows[: EXACT_UP_TO + 1].count()
        counts[value] = exact if exact <= EXACT_UP_TO else max(_estimate(rows), exact)
    return counts


def status_rows(queryset: QuerySet[Model], value: str, *, field: str = "status") -> QuerySet:
    """The rows of one status, unordered: a model's default ordering would sort every row of
    that status before the LIMIT could stop the scan."""
    return queryset.filter(**{field: value}).order_by().values(field)


def _estimate(rows: QuerySet[Model]) -> int:
    """The planner's estimate of the rows `rows` selects (EXPLAIN: nothing is read)."""
    sql, params = rows.query.sql_with_params()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
