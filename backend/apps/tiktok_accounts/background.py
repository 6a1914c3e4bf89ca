"""Work on many accounts at once, for background jobs: refresh ahead of expiry, scheduled sync,
and the parallel sync that sync-all jobs use.

Built from the single-sync pieces of services/ (`profile_fetch_in_worker`,
`outcomes_store`, `account_refresh_token`), so a background sync is exactly a user's sync:
same status rules, same audit entry (actor "system"). Worker threads do HTTP (and the refresh
lease's short UPDATEs); the calling thread writes every outcome in one transaction.
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.audit.models import AuditAction
from apps.audit.services import SYSTEM, AuditEntry, audit_record
from apps.core.errors import ApplicationError, TikTokRateLimited
from apps.tiktok_accounts.exceptions import (
    RefreshTokenInvalidError,
    TikTokError,
    TikTokRateLimitError,
)
from apps.tiktok_accounts.fields import TokenUnreadableError
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.tiktok_accounts.models.tiktok_account_model import token_refresh_horizon
from apps.tiktok_accounts.selectors import summary_invalidate
from apps.tiktok_accounts.services.errors import tiktok_error_to_api
from apps.tiktok_accounts.services.sync import (
    SyncOutcome,
    outcomes_store,
    profile_fetch_in_worker,
)
from apps.tiktok_accounts.services.tokens import account_refresh_token
from apps.videos.services import SCOPE as VIDEO_SCOPE
from apps.videos.services import account_videos_sync

logger = logging.getLogger(__name__)

CHUNK_SIZE = 50
# How often a task retries accounts TikTok rate limited before recording the failure.
RATE_LIMIT_RETRIES = 5
MAX_RETRY_DELAY_SECONDS = 900
HEARTBEAT_SECONDS = 20

T = TypeVar("T")
R = TypeVar("R")


def chunks(ids: Sequence[T], size: int = CHUNK_SIZE) -> list[list[T]]:
    return [list(ids[start : start + size]) for start in range(0, len(ids), size)]


def retry_delay(retry_after: int, attempt: int) -> int:
    """TikTok's Retry-After, growing exponentially with each attempt, with jitter; never 0."""
    delay = max(retry_after, 1) * 2**attempt
    return min(MAX_RETRY_DELAY_SECONDS, delay) + random.randint(0, 5)  # noqa: S311


def parallel_map(
    work: Callable[[T], R], items: Iterable[T], *, heartbeat: Callable[[], None] | None = None
) -> list[R]:
    """`work` on every item in BATCH_SYNC_MAX_WORKERS threads; `heartbeat` runs while waiting."""
    with ThreadPoolExecutor(
        max_workers=settings.BATCH_SYNC_MAX_WORKERS, thread_name_prefix="background"
    ) as pool:
        futures = [pool.submit(work, item) for item in items]
        pending = set(futures)
        while pending:
            _, pending = wait(pending, timeout=HEARTBEAT_SECONDS)
            if pending and heartbeat is not None:
                heartbeat()
        return [future.result() for future in futures]


@dataclass
class SyncBatch:
    """What one chunk's sync wrote, and what TikTok rate limited (to retry later)."""

    stored: list[SyncOutcome]
    rate_limited: list[TikTokAccount]
    retry_after: int = 0


def accounts_fetch(
    accounts: Sequence[TikTokAccount], *, final: bool, heartbeat: Callable[[], None] | None = None
) -> SyncBatch:
    """The TikTok half of syncing `accounts` in parallel: HTTP only, no transaction open.

    Accounts TikTok rate limited are set aside for a retry, unless this is the `final` attempt.
    """
    batch = SyncBatch(stored=[], rate_limited=[])
    for outcome in parallel_map(profile_fetch_in_worker, accounts, heartbeat=heartbeat):
        if isinstance(outcome.error, TikTokRateLimited) and not final:
            batch.rate_limited.append(outcome.account)
            batch.retry_after = max(batch.retry_after, outcome.error.retry_after or 1)
        else:
            batch.stored.append(outcome)
    return batch


def sync_batch_store(batch: SyncBatch, *, extra: dict[str, Any]) -> None:
    """The database half: each user's outcomes in one UPDATE and one audit INSERT."""
    by_user: dict[int, list[SyncOutcome]] = defaultdict(list)
    for outcome in batch.stored:
        by_user[outcome.account.user_id].append(outcome)
    for user_id, outcomes in by_user.items():
        outcomes_store(user_id=user_id, outcomes=outcomes, meta=SYSTEM, batch=False, extra=extra)


# --- Scheduled sync -------------------------------------------------------------------------------


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


# --- Token refresh ahead of expiry ----------------------------------------------------------------


def refresh_due_accounts(ahead_seconds: int | None = None) -> QuerySet[TikTokAccount]:
    """Live active accounts whose access token expires within `ahead_seconds`
    (default TOKEN_REFRESH_AHEAD_SECONDS, the margin a sync uses too)."""
    return TikTokAccount.objects.filter(
        status=AccountStatus.ACTIVE,
        access_token_expires_at__lte=token_refresh_horizon(ahead_seconds),
    )


@dataclass
class RefreshResult:
    account: TikTokAccount
    # None: another worker refreshed it (and audits it).
    outcome: str | None = None
    retry_after: int | None = None
    # TikTok rate limited it and attempts remain: nothing was audited, try again later.
    retry: bool = False


def _account_refresh(account: TikTokAccount) -> RefreshResult:
    try:
        if not account_refresh_token(account=account):
            return RefreshResult(account)
        return RefreshResult(account, "succeeded")
    except RefreshTokenInvalidError:
        return RefreshResult(account, "reauth_required")
    except TikTokRateLimitError as exc:
        return RefreshResult(account, tiktok_error_to_api(exc).code, exc.retry_after)
    except (TikTokError, TokenUnreadableError) as exc:
        return RefreshResult(account, tiktok_error_to_api(exc).code)
    finally:
        connection.close()


def accounts_refresh_ahead(
    *, account_ids: Sequence[str], attempt: int, ahead_seconds: int | None = None
) -> list[RefreshResult]:
    """Refreshes the accounts still due, through the one-refresh-per-account lease.

    Every refresh writes one `token_refresh` entry with its outcome, except those TikTok rate
    limited while attempts remain (`retry`).
    """
    accounts = list(refresh_due_accounts(ahead_seconds).filter(id__in=account_ids))
    results = parallel_map(_account_refresh, accounts)
    for result in results:
        result.retry = result.retry_after is not None and attempt < RATE_LIMIT_RETRIES
    done = [r for r in results if r.outcome is not None and not r.retry]
    with transaction.atomic():
        audit_record(
            *(
                AuditEntry(
                    user_id=r.account.user_id,
                    action=AuditAction.TOKEN_REFRESH,
                    resource_id=r.account.id,
                    meta=SYSTEM,
                    metadata={"outcome": r.outcome},
                )
                for r in done
            )
        )
        for user_id in {r.account.user_id for r in done if r.outcome == "reauth_required"}:
            summary_invalidate(user_id=user_id)
    return results
