"""A sync-all chunk's outcomes, written as its accounts finish: a user sees `done` grow.

Each write stores the outcomes gathered since the previous one (account rows, audit entries,
history points), takes their accounts out of the chunk and adds them to the job's counters, in
one transaction that holds the chunk's row, then the job's (always in that order). An account
another run of the chunk already stored (a worker that outlived its lease) is dropped, and a
chunk found done drops everything: the counters end exact however many workers ran it.

No write storm: a job's progress is written at most once per PROGRESS_INTERVAL, whatever the
number of its chunks running (the job's `progress_at`); a chunk's last write always happens.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from apps.core.errors import AccountNotFound
from apps.jobs.events import job_finished_emit
from apps.jobs.models import MAX_JOB_ERRORS, Job, JobChunk, JobStatus
from apps.tiktok_accounts.services import bulk_sync
from apps.tiktok_accounts.services.sync import SyncOutcome

PROGRESS_INTERVAL = timedelta(seconds=1)
# A chunk that found the job's progress just written by another chunk tries again this soon.
PROGRESS_RETRY = PROGRESS_INTERVAL / 4
JOB_FIELDS = (
    "succeeded",
    "failed",
    "errors",
    "status",
    "finished_at",
    "progress_at",
    "heartbeat_at",
)


@dataclass
class ChunkProgress:
    """One run of one chunk: the outcomes that finished and are not written yet."""

    chunk_id: int
    job_id: uuid.UUID
    # The last attempt: TikTok's rate limit is then recorded as the account's failure.
    final: bool
    # Ids of the chunk that are no live account of the job's user (ACCOUNT_NOT_FOUND).
    missing: list[str] = field(default_factory=list)
    unwritten: bulk_sync.SyncBatch = field(default_factory=bulk_sync.SyncBatch)
    # None: the first account to finish is written at once.
    next_write_at: datetime | None = None

    def add(self, outcome: SyncOutcome) -> None:
        """Takes one account's outcome; writes the progress when a write is due."""
        self.unwritten.add(outcome, final=self.final)
        now = timezone.now()
        if not (self.unwritten.stored or self.missing):
            return  # only accounts to retry: nothing to report
        if self.next_write_at is not None and now < self.next_write_at:
            return
        with transaction.atomic():
            chunk, job = self._lock()
            if job.progress_at is not None and job.progress_at > now - PROGRESS_INTERVAL:
                self.next_write_at = now + PROGRESS_RETRY
                return
            if chunk is not None:
                self._write(chunk, job, now=now)
                chunk.save(update_fields=["account_ids"])
                job.save(update_fields=JOB_FIELDS)
        self.next_write_at = now + PROGRESS_INTERVAL

    def finish(self, *, attempt: int) -> int | None:
        """The chunk's last write; returns the delay before retrying what TikTok rate limited."""
        now = timezone.now()
        with transaction.atomic():
            chunk, job = self._lock()
            if chunk is None:
                return None
            self._write(chunk, job, now=now)
            chunk.done = not chunk.account_ids
            delay = None
            if not chunk.done:
                delay = bulk_sync.retry_delay(self.unwritten.retry_after, attempt)
            # Held until the retry is due, so the watchdog leaves a rate-limited chunk alone.
            chunk.lease_until = now + timedelta(seconds=delay) if delay else None
            job.heartbeat_at = max(job.heartbeat_at, chunk.lease_until or now)
            chunk.save(update_fields=["account_ids", "done", "lease_until"])
            job.save(update_fields=JOB_FIELDS)
        return delay

    def _lock(self) -> tuple[JobChunk | None, Job]:
        """The chunk (None once done, by whichever run) and its job, locked in that order."""
        chunk = JobChunk.objects.select_for_update().filter(pk=self.chunk_id, done=False).first()
        return chunk, Job.objects.select_for_update().get(pk=self.job_id)

    def _write(self, chunk: JobChunk, job: Job, *, now: datetime) -> None:
        """Stores what the chunk still waits for and adds it to `job` (inside `_lock`'s
        transaction; the caller saves both); drops what another run of the chunk stored."""
        waiting = set(chunk.account_ids)
        fresh = [o for o in self.unwritten.stored if str(o.account.id) in waiting]
        missing = [pk for pk in self.missing if pk in waiting]
        self.unwritten.stored, self.missing = [], []
        bulk_sync.sync_batch_store(bulk_sync.SyncBatch(stored=fresh), extra={"job_id": str(job.id)})
        written = {str(o.account.id) for o in fresh}.union(missing)
        chunk.account_ids = [pk for pk in chunk.account_ids if pk not in written]
        failures = [
            {"account_id": str(o.account.id), "code": o.error.code} for o in fresh if o.error
        ] + [{"account_id": pk, "code": AccountNotFound.code} for pk in missing]
        job.succeeded += sum(1 for o in fresh if o.error is None)
        job.failed += len(failures)
        job.errors = (job.errors + failures)[:MAX_JOB_ERRORS]
        job.progress_at, job.heartbeat_at = now, max(job.heartbeat_at, now)
        if job.status == JobStatus.RUNNING and job.done >= job.total:
            if job.failed == 0:
                job.status = JobStatus.SUCCEEDED
            else:
                job.status = JobStatus.FAILED if job.succeeded == 0 else JobStatus.PARTIAL
            job.finished_at = now
            job_finished_emit(job)  # inside the caller's transaction, which saves `job`
