"""What runs on a schedule: thin tasks over this app's modules.

The periodic entry points claim their period in the database first (claims.py), so two
schedulers (or a redelivered message) run each period once; the chunks they fan out are
idempotent (an account refreshed or synced meanwhile is no longer due).

Task names are those of the apps these tasks came from (`tiktok_accounts.*`,
`jobs.daily_retention`): beat entries and messages already queued refer to them.

A claimed run whose worker dies is not run again by the redelivered message (the claim is
taken): the next period does its work, since each run takes up whatever is due.
"""

from __future__ import annotations

from collections.abc import Iterable

from celery import Task, shared_task
from django.conf import settings

from apps.history.services import history_prune, history_thin
from apps.outbound_webhooks.delivery import deliveries_prune, deliveries_scan
from apps.outbound_webhooks.schedule import SCAN_INTERVAL_SECONDS
from apps.scheduling.beat import (
    ACCOUNT_TOTALS_COMPACT_INTERVAL_SECONDS,
    HISTORY_THIN_INTERVAL_SECONDS,
)
from apps.scheduling.claims import periodic_claim, periodic_claims_prune
from apps.scheduling.scheduled_sync import accounts_sync_stale, stale_id_batches
from apps.scheduling.token_refresh import accounts_refresh_ahead, refresh_due_id_batches
from apps.tiktok_accounts.services.bulk_sync import RATE_LIMIT_RETRIES, chunks, retry_delay
from apps.tiktok_accounts.services.totals import account_totals_compact
from apps.videos.services import video_history_prune
from apps.webhooks.services import webhook_events_prune


def _fan_out(name: str, *, interval: int, due: Iterable[list], chunk: Task) -> int:
    """Once per period of `name`: enqueues `chunk` for every CHUNK_SIZE due accounts, read in
    keyset batches (apps.core.scan), so a million due accounts are never one statement."""
    if not periodic_claim(name=name, interval_seconds=interval):
        return 0
    fanned = 0
    for batch in due:
        for account_ids in chunks([str(pk) for pk in batch]):
            chunk.delay(account_ids)
        fanned += len(batch)
    return fanned


@shared_task(name="tiktok_accounts.refresh_tokens_ahead")
def refresh_tokens_ahead() -> int:
    """Fans out the accounts whose token expires soon; returns how many."""
    return _fan_out(
        "refresh_tokens_ahead",
        interval=settings.TOKEN_REFRESH_INTERVAL_SECONDS,
        due=refresh_due_id_batches(),
        chunk=refresh_tokens_chunk,
    )


@shared_task(bind=True, name="tiktok_accounts.refresh_tokens_chunk", max_retries=RATE_LIMIT_RETRIES)
def refresh_tokens_chunk(self: Task, account_ids: list[str]) -> None:
    attempt = self.request.retries
    results = accounts_refresh_ahead(account_ids=account_ids, attempt=attempt)
    if retry := [result for result in results if result.retry]:
        retry_after = max(result.retry_after or 1 for result in retry)
        raise self.retry(
            args=([str(result.account.id) for result in retry],),
            countdown=retry_delay(retry_after, attempt),
        )


@shared_task(name="tiktok_accounts.sync_stale_accounts")
def sync_stale_accounts() -> int:
    """Fans out the live active accounts not synced for SYNC_STALE_AFTER_SECONDS."""
    return _fan_out(
        "sync_stale_accounts",
        interval=settings.SCHEDULED_SYNC_INTERVAL_SECONDS,
        due=stale_id_batches(),
        chunk=sync_accounts_chunk,
    )


@shared_task(bind=True, name="tiktok_accounts.sync_accounts_chunk", max_retries=RATE_LIMIT_RETRIES)
def sync_accounts_chunk(self: Task, account_ids: list[str]) -> None:
    attempt = self.request.retries
    batch = accounts_sync_stale(account_ids=account_ids, attempt=attempt)
    if batch.rate_limited:
        raise self.retry(
            args=([str(account.id) for account in batch.rate_limited],),
            countdown=retry_delay(batch.retry_after, attempt),
        )


@shared_task(name="jobs.daily_retention")
def daily_retention() -> None:
    """Deletes what the service keeps for a limited time, once a day."""
    if not periodic_claim(name="daily_retention", interval_seconds=86400):
        return
    periodic_claims_prune()
    history_prune()
    video_history_prune()
    webhook_events_prune()
    deliveries_prune()


@shared_task(name="history.thin")
def history_thin_old_days() -> int:
    """Thins the history older than HISTORY_RAW_RETENTION_DAYS to one point per account a day."""
    if not periodic_claim(name="history_thin", interval_seconds=HISTORY_THIN_INTERVAL_SECONDS):
        return 0
    return history_thin()


@shared_task(name="tiktok_accounts.compact_totals")
def compact_account_totals() -> int:
    """Replaces each workspace's totals parts by their sum; returns how many workspaces."""
    if not periodic_claim(
        name="account_totals_compact", interval_seconds=ACCOUNT_TOTALS_COMPACT_INTERVAL_SECONDS
    ):
        return 0
    return account_totals_compact()


@shared_task(name="outbound_webhooks.scan")
def outbound_webhooks_scan() -> None:
    """Once per period: the events and deliveries whose message was lost or is overdue."""
    if periodic_claim(name="outbound_webhooks_scan", interval_seconds=SCAN_INTERVAL_SECONDS):
        deliveries_scan()
