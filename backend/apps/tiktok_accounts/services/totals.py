"""Compaction of the account totals' parts: each workspace's parts replaced by their sum.

The triggers insert a part per change of a live account's totals (models/totals.py), so a
workspace's parts grow with its writes; the summary sums them. Run every minute (the beat
schedule, apps.scheduling), compaction keeps them few: the parts inserted in a minute are
bounded by the accounts' writes, which syncs dominate and the TikTok budget bounds (about
600 calls a minute for the whole service, so about as many parts), so a run has little to
do and the summary reads one part per workspace plus that minute's.

Safe at any moment and with two compactors at once: per workspace, one transaction deletes
its parts, returning them (`DELETE ... RETURNING`: PostgreSQL, SQLite >= 3.35), and inserts
one part with their sum. A reader sees the parts or their sum, never both or neither. On
PostgreSQL, a part another compactor deleted is not returned to this one (its DELETE waits
for the other's commit, then skips the row), and a part inserted after the DELETE began stays
for the next run. Writers only insert parts, so they never wait for a compactor.
"""

from __future__ import annotations

import uuid
from functools import cache

from django.db import connection, transaction
from django.db.models import Count

from apps.core.raw_sql import quoted_names
from apps.tiktok_accounts.models import AccountTotalsPart
from apps.tiktok_accounts.models.totals import SUMMED

# Workspaces compacted per run at most: a minute's parts span far fewer (see above); a
# backlog (after an outage of the scheduler) is worked off over the following runs.
COMPACT_WORKSPACES_PER_RUN = 1000


@cache
def _delete_sql(vendor: str) -> str:
    del vendor  # only the cache key
    table, col = quoted_names(AccountTotalsPart)
    returning = ", ".join(col[name] for name in SUMMED)
    return f"DELETE FROM {table} WHERE {col['workspace']} = %s RETURNING {returning}"  # noqa: S608


def account_totals_compact(*, limit: int = COMPACT_WORKSPACES_PER_RUN) -> int:
    """Replaces the parts of up to `limit` workspaces that have more than one by their sum
    (none when it is zero); returns how many workspaces it compacted."""
    crowded = (
        AccountTotalsPart.objects.order_by()
        .values("workspace_id")
        .annotate(parts=Count("id"))
        .filter(parts__gt=1)
        .values_list("workspace_id", flat=True)[:limit]
    )
    workspace_ids = list(crowded)
    for workspace_id in workspace_ids:
        _compact(workspace_id)
    return len(workspace_ids)


@transaction.atomic
def _compact(workspace_id: uuid.UUID) -> None:
    workspace = AccountTotalsPart._meta.get_field("workspace")
    with connection.cursor() as cursor:
        cursor.execute(
            _delete_sql(connection.vendor), [workspace.get_db_prep_value(workspace_id, connection)]
        )
        parts = cursor.fetchall()
    total = [sum(values) for values in zip(*parts, strict=True)]
    if any(total):
        AccountTotalsPart.objects.create(
            workspace_id=workspace_id, **dict(zip(SUMMED, total, strict=True))
        )
