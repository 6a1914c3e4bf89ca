"""Sync-all jobs and daily maintenance: thin tasks over apps.jobs.services."""

from __future__ import annotations

import uuid

from celery import Task, shared_task

from apps.history.services import history_prune
from apps.jobs import services
from apps.jobs.periodic import periodic_claim, periodic_claims_prune
from apps.tiktok_accounts.background import RATE_LIMIT_RETRIES
from apps.webhooks.services import webhook_events_prune


@shared_task(name="jobs.start")
def job_start(job_id: str) -> None:
    services.job_start_run(job_id=uuid.UUID(job_id))


@shared_task(bind=True, name="jobs.sync_chunk", max_retries=RATE_LIMIT_RETRIES)
def job_sync_chunk(self: Task, chunk_id: int) -> None:
    delay = services.job_chunk_run(chunk_id=chunk_id, attempt=self.request.retries)
    if delay is not None:
        raise self.retry(countdown=delay)


@shared_task(name="jobs.watchdog")
def job_watchdog() -> None:
    services.job_watchdog()


@shared_task(name="jobs.daily_retention")
def daily_retention() -> None:
    """Deletes what the service keeps for a limited time, once a day."""
    if not periodic_claim(name="daily_retention", interval_seconds=86400):
        return
    periodic_claims_prune()
    history_prune()
    webhook_events_prune()
