"""Syncing many accounts at once, for background work: sync-all jobs (apps.jobs), the
scheduled sync and the inline commands (apps.scheduling).

Built from the single-sync pieces (`profile_fetch_in_worker`, `outcomes_store`), so a
background sync is exactly a user's sync: same status rules, same audit entry (actor
"system"). Worker threads do HTTP (and the refresh lease's short UPDATEs); the calling thread
writes the outcomes. Also the pieces every background task shares: chunks, parallel threads,
the retry delay.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings

from apps.audit.services import SYSTEM
from apps.core.errors import TikTokRateLimited
from apps.tiktok_accounts.models import TikTokAccount
from apps.tiktok_accounts.services.sync import (
    SyncOutcome,
    outcomes_store,
    profile_fetch_in_worker,
)
from integrations.tiktok.budget import budget_party

logger = logging.getLogger(__name__)

CHUNK_SIZE = 50
# How often a task retries accounts TikTok rate limited before recording the failure.
RATE_LIMIT_RETRIES = 5
MAX_RETRY_DELAY_SECONDS = 900
HEARTBEAT_SECONDS = 20
# The budget party of the scheduled sync, all workspaces together (workspace_party: sync-alls).
SCHEDULED_PARTY = "scheduled"

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
    accounts: Sequence[TikTokAccount],
    *,
    heartbeat: Callable[[], None] | None = None,
    party: str = SCHEDULED_PARTY,
) -> Iterator[SyncOutcome]:
    """The TikTok half of syncing `accounts` in parallel (HTTP only, no transaction open),
    each account's outcome as soon as it is ready; their calls take turns on the TikTok budget
    as `party` (integrations.tiktok.budget_window)."""

    def fetch(account: TikTokAccount) -> SyncOutcome:
        with budget_party(party):
            return profile_fetch_in_worker(account)

    return parallel_each(fetch, accounts, heartbeat=heartbeat)


def workspace_party(workspace_id: object) -> str:
    """The budget party of a workspace's own background work (its sync-all)."""
    return f"workspace:{workspace_id}"


def accounts_fetch(
    accounts: Sequence[TikTokAccount],
    *,
    final: bool,
    heartbeat: Callable[[], None] | None = None,
) -> SyncBatch:
    """Every outcome of `accounts_fetch_each`; accounts TikTok rate limited are set aside for a
    retry, unless this is the `final` attempt."""
    batch = SyncBatch()
    for outcome in accounts_fetch_each(accounts, heartbeat=heartbeat):
        batch.add(outcome, final=final)
    return batch


def sync_batch_store(batch: SyncBatch, *, extra: dict[str, Any]) -> None:
    """The database half: every outcome in one UPDATE and one audit INSERT."""
    if batch.stored:
        outcomes_store(outcomes=batch.stored, meta=SYSTEM, batch=False, extra=extra)
