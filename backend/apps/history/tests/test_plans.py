"""An account's history over a period reads its `(account, at)` index (PostgreSQL plans).

Whatever the number of accounts and points, a history answer reads the account's range only:
raw points in index order, buckets ranked over that range.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from apps.history.models import COUNT_FIELDS, HistoryPoint
from apps.history.selectors import Bucket, history_points
from testing.factories import TikTokAccountFactory
from testing.plans import analyze, plans_of

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN is a PostgreSQL check"),
]

START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("bucket", list(Bucket))
def test_history_reads_the_account_range_from_its_index(bucket) -> None:
    accounts = [TikTokAccountFactory() for _ in range(10)]
    HistoryPoint.objects.bulk_create(
        HistoryPoint(
            account=account, at=START + timedelta(hours=hour), **dict.fromkeys(COUNT_FIELDS, hour)
        )
        for account in accounts
        for hour in range(400)
    )
    analyze("history_historypoint")
    since, until = START + timedelta(days=3), START + timedelta(days=10)

    (plan,) = plans_of(
        lambda: list(
            history_points(account_id=accounts[0].id, since=since, until=until, bucket=bucket)
        )
    )

    assert "history_account_at" in plan, plan
    assert "Seq Scan" not in plan, plan
