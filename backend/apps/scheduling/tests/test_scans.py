"""The periodic scans read their due accounts in keyset batches along an index of their own.

Behaviour on every database (each due account once, in the index's order, batch after batch);
the plans on PostgreSQL: each batch is an index scan from where the last stopped, with no sort
and no sequential scan, whatever the size of the table.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from apps.core import scan
from apps.scheduling.scheduled_sync import stale_id_batches
from apps.scheduling.token_refresh import refresh_due_id_batches
from apps.tiktok_accounts.models import AccountStatus
from testing.factories import TikTokAccountFactory
from testing.plans import analyze, bulk_accounts, plans_of

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="EXPLAIN is a PostgreSQL check"
)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _due_tokens(count: int) -> list:
    return [
        TikTokAccountFactory(access_token_expires_at=NOW + timedelta(minutes=number))
        for number in range(count)
    ]


def test_token_scan_walks_every_due_account_once_soonest_first(monkeypatch) -> None:
    monkeypatch.setattr(scan, "SCAN_BATCH_SIZE", 2)
    due = _due_tokens(5)
    TikTokAccountFactory()  # expires tomorrow
    TikTokAccountFactory(access_token_expires_at=NOW, status=AccountStatus.TOKEN_EXPIRED)
    TikTokAccountFactory(access_token_expires_at=NOW, is_deleted=True)

    batches = list(refresh_due_id_batches())

    assert [len(batch) for batch in batches] == [2, 2, 1]
    assert [pk for batch in batches for pk in batch] == [account.id for account in due]


def test_stale_scan_walks_the_never_synced_then_the_longest_unsynced(monkeypatch) -> None:
    monkeypatch.setattr(scan, "SCAN_BATCH_SIZE", 2)
    never = [TikTokAccountFactory(last_synced_at=None) for _ in range(3)]
    never.sort(key=lambda account: account.id)
    old = [TikTokAccountFactory(last_synced_at=NOW - timedelta(days=day)) for day in (9, 5, 2)]
    TikTokAccountFactory(last_synced_at=NOW)  # fresh
    TikTokAccountFactory(last_synced_at=None, status=AccountStatus.REVOKED)

    batches = list(stale_id_batches())

    assert [pk for batch in batches for pk in batch] == [a.id for a in never + old]
    assert all(len(batch) <= 2 for batch in batches)


def _seed_many() -> None:
    """3,000 accounts synced just now with tokens good for a day, 20 of them due for both."""
    bulk_accounts(3000, last_synced_at=NOW)
    bulk_accounts(10, last_synced_at=None, access_token_expires_at=NOW)
    bulk_accounts(10, last_synced_at=NOW - timedelta(days=2), access_token_expires_at=NOW)
    analyze("tiktok_accounts_tiktokaccount")


@postgresql_only
@pytest.mark.parametrize(
    ("walk", "index"),
    [(refresh_due_id_batches, "tta_scan_token_expiry"), (stale_id_batches, "tta_scan_last_synced")],
)
def test_each_scan_batch_is_an_index_scan_without_sort(monkeypatch, walk, index) -> None:
    monkeypatch.setattr(scan, "SCAN_BATCH_SIZE", 4)
    _seed_many()

    plans = plans_of(lambda: list(walk()))

    # Several batches, the later ones continuing from a position (row comparison or id).
    assert len(plans) >= 5, plans
    for plan in plans:
        assert f"Scan using {index} on" in plan, plan
        assert "Seq Scan" not in plan, plan
        assert "Sort" not in plan, plan
