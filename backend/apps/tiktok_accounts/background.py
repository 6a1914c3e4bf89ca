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
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.audit.models import AuditAction
from apps.audit.services import SYSTEM, AuditEntry, audit_record
from apps.core.errors import ApplicationError, TikTokRateLimited
from apps.core.fields import TokenUnreadableError
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.tiktok_accounts.models.account import token_refresh_horizon
from apps.tiktok_accounts.services.errors import tiktok_error_to_api
from apps.tiktok_accounts.services.sync import (
    SyncOutcome,
    outcomes_store,
    profile_fetch_in_worker,
)
from apps.tiktok_accounts.services.tokens import account_refresh_token
from apps.videos.services import SCOPE as VIDEO_SCOPE
from apps.videos.services import account_videos_sync
from integrations.tiktok.errors import (
    RefreshTokenInvalidError,
    TikTokError,
    TikTokRateLimitError,
)

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


def parallel_each(
    work: Callable[[T], R], items: Iterable[T], *, heartbeat: Callable[[], None] | None = None
) -> Iterator[R]:
    """`work` on every item in BATCH_SYNC_MAX_WORKERS threads, each result as soon as it is
    ready (so a job can report an account the moment it finishes); `heartbeat` runs every
    HEARTBEAT_SECONDS meanwhile, in the caller's thread."""
    with ThreadPoolExecutor(
        max_workers=settings.BATCH_SYNC_MAX_WORKERS, thread_name_prefix="background"
    ) as pool:
        pending = {pool.submit(work, item) for item in items}
        beat_at = time.monotonic() + HEARTBEAT_SECONDS
        while pending:
            timeout = max(0.0, beat_at - time.monotonic())
            finished, pending = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
            if heartbeat is not None and pending and time.monotonic() >= beat_at:
                heartbeat()
                beat_at = time.monotonic() + HEARTBEAT_SECONDS
            for future in finished:
                yield future.result()


def parallel_map(
    work: Callable[[T], R], items: Iterable[T], *, heartbeat: Callable[[], None] | None = None
) -> list[R]:
    """`parallel_each`, the results in the items' order."""
    numbered = list(enumerate(items))
    results = dict(
        parallel_each(lambda pair: (pair[0], work(pair[1])), numbered, heartbeat=heartbeat)
    )
    return [results[number] for number, _ in numbered]


@dataclass
class SyncBatch:
    """What one chunk's sync wrote, and what TikTok rate limited (to retry later)."""

    stored: list[SyncOutcome] = field(default_factory=list)
    rate_limited: list[TikTokAccount] = field(default_factory=list)
    retry_after: int = 0

    def add(self, outcome: SyncOutcome, *, final: bool) -> None:
        """To store, or set aside for a retry when TikTok rate limited it (unless `final`)."""
        if isinstance(outcome.error, TikTokRateLimited) and not final:
            self.rate_limited.append(outcome.account)
            self.retry_after = max(self.retry_after, outcome.error.retry_after or 1)
        else:
            self.stored.append(outcome)


def accounts_fetch_each(
    accounts: Sequence[TikTokAccount], *, heartbeat: Callable[[], None] | None = None
) -> Iterator[SyncOutcome]:
    """The TikTok half of syncing `accounts` in parallel (HTTP only, no transaction open),
    each account's outcome as soon as it is ready."""
    return parallel_each(profile_fetch_in_worker, accounts, heartbeat=heartbeat)


def accounts_fetch(accounts: Sequence[TikTokAccount], *, final: bool) -> SyncBatch:
    """Every outcome of `accounts_fetch_each`; accounts TikTok rate limited are set aside for a
    retry, unless this is the `final` attempt."""
    batch = SyncBatch()
    for outcome in accounts_fetch_each(accounts):
        batch.add(outcome, final=final)
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
    return results
