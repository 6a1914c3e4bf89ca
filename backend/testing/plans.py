"""What tests of query plans share: many rows quickly, and EXPLAIN of captured statements.

PostgreSQL's planner reads an index only when the table is big enough for it to pay, so the
plan tests seed a few thousand rows (copies of one factory-made account) and ANALYZE.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.tiktok_accounts.models import TikTokAccount
from testing.factories import TikTokAccountFactory


def bulk_accounts(count: int, **fields: Any) -> list[TikTokAccount]:
    """`count` accounts like one factory account (`fields` set on all), in one bulk insert."""
    template = TikTokAccountFactory.build(**fields)
    rows = []
    for number in range(count):
        row = copy.copy(template)
        row.id, row.open_id = uuid.uuid4(), f"bulk-{uuid.uuid4().hex}-{number}"
        rows.append(row)
    return TikTokAccount.objects.bulk_create(rows, batch_size=1000)


def analyze(*tables: str) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")


def explain(statement: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {statement}")
        return "\n".join(line for (line,) in cursor.fetchall())


def plans_of(work: Callable[[], object]) -> list[str]:
    """The plan of every statement `work` runs."""
    with CaptureQueriesContext(connection) as queries:
        work()
    return [explain(query["sql"]) for query in queries.captured_queries]
