"""The scheduled sync: live active accounts not synced for SYNC_STALE_AFTER_SECONDS, and their
videos (SCHEDULED_SYNC_VIDEOS), synced in the background exactly as a user's sync.

Each period fans out the accounts still stale, so a chunk still running when the next period
comes is fanned out again with the same accounts. Each run therefore holds its accounts by a
short lease on their rows (`sync_lease_until`, one conditional UPDATE per account, as the
token refresh lease does): an account held by a live run, or synced meanwhile, is skipped, so
two workers never sync one account in one go.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.audit.services import SYSTEM
from apps.core.errors import ApplicationError
from apps.core.scan import keyset_batches
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.tiktok_accounts.services.bulk_sync import (
    HEARTBEAT_SECONDS,
    RATE_LIMIT_RETRIES,
    SyncBatch,
    accounts_fetch,
    parallel_map,
    sync_batch_store,
)
from apps.videos.services import SCOPE as VIDEO_SCOPE
from apps.videos.services import account_videos_sync

logger = logging.getLogger(__name__)

# Renewed every HEARTBEAT_SECONDS while the run works: it lapses only when its worker died.
LEASE_SECONDS = 6 * HEARTBEAT_SECONDS


def stale_accounts() -> QuerySet[TikTokAccount]:
    """Live active accounts not synced within SYNC_STALE_AFTER_SECONDS."""
    cutoff = timezone.now() - timedelta(seconds=settings.SYNC_STALE_AFTER_SECONDS)
    return TikTokAccount.objects.filter(status=AccountStatus.ACTIVE).filter(
        Q(last_synced_at__isnull=True) | Q(last_synced_at__lt=cutoff)
    )


def stale_id_batches() -> Iterator[list]:
    """The ids of `stale_accounts()`, a batch at a time along the `tta_scan_last_synced` index
    (apps.core.scan): the never synced first, then the longest unsynced."""
    cutoff = timezone.now() - timedelta(seconds=settings.SYNC_STALE_AFTER_SECONDS)
    live = TikTokAccount.objects.filter(status=AccountStatus.ACTIVE)
    return itertools.chain(
        keyset_batches(live.filter(last_synced_at__isnull=True), key="last_synced_at"),
        keyset_batches(live.filter(last_synced_at__lt=cutoff), key="last_synced_at"),
    )


@dataclass
class SyncLease:
    """The accounts one run of a chunk holds, and until when."""

    account_ids: list[str]
    until: datetime

    @classmethod
    def claim(cls, account_ids: Sequence[str]) -> SyncLease:
        """Holds each of `account_ids` still stale and held by no live run."""
        now = timezone.now()
        until = now + timedelta(seconds=LEASE_SECONDS)
        free = stale_accounts().filter(
            Q(sync_lease_until__isnull=True) | Q(sync_lease_until__lt=now)
        )
        won = [pk for pk in account_ids if free.filter(pk=pk).update(sync_lease_until=until)]
        return cls(account_ids=won, until=until)

    def _held(self) -> QuerySet[TikTokAccount]:
        # Still ours: a lease that lapsed and was claimed again is another run's.
        return TikTokAccount.all_objects.filter(
            pk__in=self.account_ids, sync_lease_until=self.until
        )

    def renew(self) -> None:
        until = timezone.now() + timedelta(seconds=LEASE_SECONDS)
        self._held().update(sync_lease_until=until)
        self.until = until

    def release(self) -> None:
        self._held().update(sync_lease_until=None)


def accounts_sync_stale(*, account_ids: Sequence[str], attempt: int) -> SyncBatch:
    """One chunk of the scheduled sync: the accounts still stale that no other run holds."""
    lease = SyncLease.claim(account_ids)
    try:
        accounts = list(TikTokAccount.objects.filter(pk__in=lease.account_ids))
        final = attempt >= RATE_LIMIT_RETRIES
        batch = accounts_fetch(accounts, final=final, heartbeat=lease.renew)
        sync_batch_store(batch, extra={"scheduled": True})
        if settings.SCHEDULED_SYNC_VIDEOS:
            synced = [outcome.account for outcome in batch.stored if not outcome.error]
            parallel_map(_videos_sync_in_worker, synced, heartbeat=lease.renew)
    finally:
        # Accounts rate limited are retried by this chunk later; held, they would be skipped.
        lease.release()
    return batch


def _videos_sync_in_worker(account: TikTokAccount) -> None:
    """The scheduled sync refreshes videos too, for accounts that granted `video.list`."""
    if VIDEO_SCOPE not in account.scopes:
        return
    try:
        account_videos_sync(account=account, meta=SYSTEM)
    except ApplicationError as exc:
        logger.warning("Account %s: scheduled video sync failed: %s", account.pk, exc.code)
    finally:
        connection.close()
