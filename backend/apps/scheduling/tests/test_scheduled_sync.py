"""Two runs of the scheduled sync over the same accounts at once (a chunk still running when
the next period fans the same stale accounts out again): each account is synced once.

The first run waits inside TikTok's answer at a gate the test opens, so the overlap is certain
instead of likely. Transactional: the first run's thread has its own database connection.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.audit.models import AuditLog
from apps.scheduling.scheduled_sync import accounts_sync_stale
from apps.tiktok_accounts.models import TikTokAccount
from apps.tiktok_accounts.services import bulk_sync
from apps.tiktok_accounts.services.sync import SyncOutcome, profile_fetch_in_worker

pytestmark = pytest.mark.django_db(transaction=True)

GATE_TIMEOUT_SECONDS = 30


def test_two_overlapping_runs_for_the_same_accounts_sync_each_account_once(
    user, link_account, fake_tiktok, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = timezone.now() - timedelta(hours=7)
    accounts = [link_account(user, last_synced_at=stale)[0] for _ in range(3)]
    ids = [str(account.id) for account in accounts]
    inside, gate = threading.Event(), threading.Event()
    fetched: Counter[uuid.UUID] = Counter()
    lock = threading.Lock()

    def held_fetch(account: TikTokAccount) -> SyncOutcome:
        """An account's first fetch waits at the gate; any later one goes straight through."""
        with lock:
            fetched[account.id] += 1
            first = fetched[account.id] == 1
        if first:
            inside.set()
            assert gate.wait(GATE_TIMEOUT_SECONDS), "gate never opened"
        return profile_fetch_in_worker(account)

    monkeypatch.setattr(bulk_sync, "profile_fetch_in_worker", held_fetch)
    first: list[bulk_sync.SyncBatch] = []

    def first_run() -> None:
        try:
            first.append(accounts_sync_stale(account_ids=ids, attempt=0))
        finally:
            connection.close()

    thread = threading.Thread(target=first_run, name="first-chunk")
    thread.start()
    assert inside.wait(GATE_TIMEOUT_SECONDS), "the first run never called TikTok"
    second = accounts_sync_stale(account_ids=ids, attempt=0)  # the first one waits at the gate
    gate.set()
    thread.join(GATE_TIMEOUT_SECONDS)
    third = accounts_sync_stale(account_ids=ids, attempt=0)  # later: synced, no longer stale

    assert second.stored == []
    assert third.stored == []
    assert len(first[0].stored) == 3
    assert Counter(r.open_id for r in fake_tiktok.requests if r.endpoint == "user_info") == Counter(
        {account.open_id: 1 for account in accounts}
    )
    synced = AuditLog.objects.filter(action="sync").values_list("resource_id", flat=True)
    assert Counter(synced) == Counter({account.id: 1 for account in accounts})
    assert not TikTokAccount.objects.filter(sync_lease_until__isnull=False).exists()


def test_an_account_a_live_run_holds_is_skipped_and_a_lapsed_lease_is_taken_over(
    user, link_account, fake_tiktok
) -> None:
    now = timezone.now()
    stale = now - timedelta(hours=7)
    held, _ = link_account(user, last_synced_at=stale, sync_lease_until=now + timedelta(minutes=1))
    # Its run's worker died: nobody renews the lease.
    lapsed, _ = link_account(
        user, last_synced_at=stale, sync_lease_until=now - timedelta(seconds=1)
    )

    batch = accounts_sync_stale(account_ids=[str(held.id), str(lapsed.id)], attempt=0)

    assert [outcome.account.id for outcome in batch.stored] == [lapsed.id]
    assert TikTokAccount.objects.get(pk=held.pk).sync_lease_until == held.sync_lease_until
    assert TikTokAccount.objects.get(pk=lapsed.pk).sync_lease_until is None
    assert [r.open_id for r in fake_tiktok.requests if r.endpoint == "user_info"] == [
        lapsed.open_id
    ]
