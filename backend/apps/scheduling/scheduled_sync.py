"""The scheduled sync: live active accounts not synced for SYNC_STALE_AFTER_SECONDS, and their
videos (SCHEDULED_SYNC_VIDEOS), synced in the background exactly as a user's sync.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.audit.services import SYSTEM
from apps.core.errors import ApplicationError
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.tiktok_accounts.services.bulk_sync import (
    RATE_LIMIT_RETRIES,
    SyncBatch,
    accounts_fetch,
    parallel_map,
    sync_batch_store,
)
from apps.videos.services import SCOPE as VIDEO_SCOPE
from apps.videos.services import account_videos_sync

logger = logging.getLogger(__name__)


def stale_accounts() -> QuerySet[TikTokAccount]:
    """Live active accounts not synced within SYNC_STALE_AFTER_SECONDS."""
    cutoff = timezone.now() - timedelta(seconds=settings.SYNC_STALE_AFTER_SECONDS)
    return TikTokAccount.objects.filter(status=AccountStatus.ACTIVE).filter(
        Q(last_synced_at__isnull=True) | Q(last_synced_at__lt=cutoff)
    )


def accounts_sync_stale(*, account_ids: Sequence[str], attempt: int) -> SyncBatch:
    """One chunk of the scheduled sync; an account synced meanwhile is skipped."""
    accounts = list(stale_accounts().filter(id__in=account_ids))
    batch = accounts_fetch(accounts, final=attempt >= RATE_LIMIT_RETRIES)
    sync_batch_store(batch, extra={"scheduled": True})
    if settings.SCHEDULED_SYNC_VIDEOS:
        parallel_map(_videos_sync_in_worker, [o.account for o in batch.stored if not o.error])
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
