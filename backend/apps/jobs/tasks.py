"""Sync-all jobs: thin tasks over apps.jobs.services."""

from __future__ import annotations

import uuid

from celery import Task, shared_task

from apps.jobs import services
from apps.tiktok_accounts.services.bulk_sync import RATE_LIMIT_RETRIES


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
