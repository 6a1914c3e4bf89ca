"""Sync-all jobs: thin tasks over apps.jobs.services."""

from __future__ import annotations

import uuid

from celery import Task, shared_task

from apps.jobs import services
from apps.tiktok_accounts.services.bulk_sync import RATE_LIMIT_RETRIES


@shared_task(name="jobs.start")
def job_start(job_id: str) -> None:
    services.job_start_run(job_id=uuid.UUID(job_id))


@shared_task(name="jobs.work")
def job_work() -> None:
    """Runs the fairest chunk waiting, then hands out the next message (services)."""
    ran = services.job_work_next()
    if ran is None:
        return
    chunk_id, delay = ran
    if delay:  # TikTok rate limited some accounts: this chunk tries again later, by itself
        job_sync_chunk.apply_async(args=(chunk_id, 1), countdown=delay)
    services.work_enqueue(1)


@shared_task(bind=True, name="jobs.sync_chunk", max_retries=RATE_LIMIT_RETRIES)
def job_sync_chunk(self: Task, chunk_id: int, attempt: int = 0) -> None:
    """One chunk again after a rate limit (`attempt` counts the runs before this message)."""
    attempt += self.request.retries
    delay = services.job_chunk_run(chunk_id=chunk_id, attempt=attempt)
    if delay is not None and attempt < RATE_LIMIT_RETRIES:
        raise self.retry(countdown=delay)


@shared_task(name="jobs.watchdog")
def job_watchdog() -> None:
    services.job_watchdog()
