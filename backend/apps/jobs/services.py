"""Sync-all jobs: start one, run its chunks, and never leave one running forever.

A job is split into chunks of accounts at start. Chunks are not queued by id: the job hands
the workers up to CHUNKS_IN_FLIGHT `jobs.work` messages, and each one runs the next chunk of
whichever running job has the fewest chunks running (`_fair_next_chunk`), then queues its own
successor. So a 20-account job started behind a 100,000-account one waits for one chunk to end,
not for 2,000 chunk messages ahead of it in the queue, and the jobs' chunks take turns (their
TikTok calls take turns too: integrations.tiktok.budget_window). Each chunk claims itself with
a lease and syncs its accounts (apps.tiktok_accounts.services.bulk_sync); as they finish,
their outcomes are stored, taken out of the chunk and added to the job's counters together
(apps.jobs.progress): a chunk that runs twice (a redelivered message) finds its accounts
stored, or itself done, and does nothing. A worker that dies leaves a lapsed lease; the
watchdog (every minute) hands such chunks out again, and fails the job when one chunk keeps
dying.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from functools import partial

from celery import current_app
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from apps.core.errors import ServiceUnavailable
from apps.jobs.events import job_finished_emit
from apps.jobs.models import ACTIVE_STATUSES, Job, JobChunk, JobKind, JobStatus
from apps.jobs.progress import ChunkProgress
from apps.tiktok_accounts.models import TikTokAccount
from apps.tiktok_accounts.services import bulk_sync

logger = logging.getLogger(__name__)

LEASE_SECONDS = 60
# No sign of life for this long: the watchdog looks at the job's chunks.
STALE_AFTER_SECONDS = 180
# A chunk whose worker died this many times ends its job as `failed`.
MAX_CHUNK_REQUEUES = 3
# A job no worker started within this long ends `failed` (no worker is running).
QUEUED_MAX_SECONDS = 3600
# `jobs.work` messages a job hands out: its chunks running at once, at most (when other jobs
# run too, fewer: every message serves the job with the fewest chunks running).
CHUNKS_IN_FLIGHT = 4


def _enqueue(task_name: str, *args: object, countdown: int | None = None) -> None:
    # By name: the tasks module imports this one.
    current_app.signature(task_name, args=args).apply_async(countdown=countdown)


def job_sync_all_start(*, workspace_id: uuid.UUID, user_id: object) -> Job:
    """The workspace's queued or running sync-all job, or a new one (started by `user_id`)
    handed to the workers."""
    active = Job.objects.filter(
        workspace_id=workspace_id, kind=JobKind.SYNC_ALL, status__in=ACTIVE_STATUSES
    )
    if (job := active.first()) is not None:
        return job
    try:
        with transaction.atomic():
            job = Job.objects.create(
                workspace_id=workspace_id, user_id=user_id, kind=JobKind.SYNC_ALL
            )
    except IntegrityError:  # a concurrent POST created it first
        return active.get()
    try:
        _enqueue("jobs.start", str(job.id))
    except Exception as exc:
        logger.error("Job %s could not be enqueued: %s", job.id, type(exc).__name__)
        _job_finish(job.id, status=JobStatus.FAILED)
        raise ServiceUnavailable(
            "Background work is unavailable right now; try again later."
        ) from exc
    return job


@transaction.atomic
def _job_finish(job_id: uuid.UUID, *, status: JobStatus) -> None:
    if Job.objects.filter(pk=job_id, status__in=ACTIVE_STATUSES).update(
        status=status, finished_at=timezone.now()
    ):
        job_finished_emit(Job.objects.get(pk=job_id))


def job_start_run(*, job_id: uuid.UUID) -> None:
    """Splits a queued job into chunks and enqueues them; a job already started is left alone."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id, status=JobStatus.QUEUED).first()
        if job is None:
            return
        live = TikTokAccount.objects.filter(workspace_id=job.workspace_id).order_by(
            "created_at", "id"
        )
        ids = [str(pk) for pk in live.values_list("id", flat=True)]
        now = timezone.now()
        job.status, job.started_at, job.heartbeat_at, job.total = (
            JobStatus.RUNNING,
            now,
            now,
            len(ids),
        )
        if not ids:
            job.status, job.finished_at = JobStatus.SUCCEEDED, now
        job.save(update_fields=["status", "started_at", "heartbeat_at", "total", "finished_at"])
        if not ids:
            job_finished_emit(job)
        chunks = JobChunk.objects.bulk_create(
            JobChunk(job=job, account_ids=chunk) for chunk in bulk_sync.chunks(ids)
        )
        messages = min(len(chunks), CHUNKS_IN_FLIGHT)
        transaction.on_commit(lambda: work_enqueue(messages))


def work_enqueue(count: int) -> None:
    """Hands the workers `count` more `jobs.work` messages."""
    try:
        for _ in range(count):
            _enqueue("jobs.work")
    except Exception:
        # The chunks stay pending in the database: the watchdog hands out work again.
        logger.exception("%s work messages could not be enqueued", count)


def _fair_next_chunk() -> int | None:
    """A free chunk of the running job with the fewest chunks running (the oldest job of
    those), or None when no chunk waits."""
    now = timezone.now()
    free = Q(chunks__done=False) & (
        Q(chunks__lease_until__isnull=True) | Q(chunks__lease_until__lt=now)
    )
    job = (
        Job.objects.filter(status=JobStatus.RUNNING)
        .annotate(
            free=Count("chunks", filter=free),
            running=Count("chunks", filter=Q(chunks__done=False, chunks__lease_until__gte=now)),
        )
        .filter(free__gt=0)
        .order_by("running", "started_at", "id")
        .first()
    )
    if job is None:
        return None
    pending = job.chunks.filter(done=False).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )
    return pending.order_by("id").values_list("id", flat=True).first()


def job_work_next() -> tuple[int, int] | None:
    """Runs the next chunk fairly (`_fair_next_chunk`); returns None when there was none, else
    the chunk and the delay before retrying what TikTok rate limited (0: nothing)."""
    for _ in range(3):  # another worker may claim the chunk first
        chunk_id = _fair_next_chunk()
        if chunk_id is None:
            return None
        if (chunk := _chunk_claim(chunk_id)) is not None:
            return chunk.pk, _chunk_work(chunk, attempt=0) or 0
    return None


def _chunk_claim(chunk_id: int) -> JobChunk | None:
    """The chunk, leased to the caller, or None when another worker holds it (or it is done,
    or its job is over).

    Every condition on the chunk is on the UPDATE's own row, never in a join: PostgreSQL checks
    those again on the row a concurrent claim just committed, and this one then matches nothing.
    A filter through `job__` would make Django write `id IN (SELECT ... JOIN ...)`, read from the
    statement's snapshot: two workers both won the same chunk and synced it twice."""
    now = timezone.now()
    running = Job.objects.filter(status=JobStatus.RUNNING).values("id")
    won = (
        JobChunk.objects.filter(pk=chunk_id, done=False, job_id__in=running)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + timedelta(seconds=LEASE_SECONDS))
    )
    return JobChunk.objects.select_related("job").get(pk=chunk_id) if won else None


def _chunk_heartbeat(chunk: JobChunk, *, until: timedelta) -> None:
    now = timezone.now()
    JobChunk.objects.filter(pk=chunk.pk).update(lease_until=now + until)
    Job.objects.filter(pk=chunk.job_id).update(heartbeat_at=now + until)


def job_chunk_run(*, chunk_id: int, attempt: int) -> int | None:
    """Syncs one chunk, writing each account's outcome as it finishes (at most about once a
    second per job); returns a delay when TikTok rate limited some accounts (retry then)."""
    chunk = _chunk_claim(chunk_id)
    if chunk is None:  # done, held by a live worker, or its job is over
        return None
    return _chunk_work(chunk, attempt=attempt)


def _chunk_work(chunk: JobChunk, *, attempt: int) -> int | None:
    accounts = list(
        TikTokAccount.objects.filter(workspace_id=chunk.job.workspace_id, id__in=chunk.account_ids)
    )
    found = {str(account.id) for account in accounts}
    progress = ChunkProgress(
        chunk_id=chunk.pk,
        job_id=chunk.job_id,
        final=attempt >= bulk_sync.RATE_LIMIT_RETRIES,
        missing=[pk for pk in chunk.account_ids if pk not in found],
    )
    heartbeat = partial(_chunk_heartbeat, chunk, until=timedelta(seconds=LEASE_SECONDS))
    party = bulk_sync.workspace_party(chunk.job.workspace_id)
    for outcome in bulk_sync.accounts_fetch_each(accounts, heartbeat=heartbeat, party=party):
        progress.add(outcome)
    return progress.finish(attempt=attempt)


def job_watchdog() -> None:
    """Hands out again the chunks of jobs whose worker died; fails what cannot finish."""
    now = timezone.now()
    stale = Job.objects.filter(
        status__in=ACTIVE_STATUSES, heartbeat_at__lt=now - timedelta(seconds=STALE_AFTER_SECONDS)
    )
    for job in stale:
        # Conditional: of two watchdogs (two schedulers), one acts on each job.
        if not Job.objects.filter(pk=job.pk, heartbeat_at=job.heartbeat_at).update(
            heartbeat_at=now
        ):
            continue
        if job.status == JobStatus.QUEUED:
            if job.created_at < now - timedelta(seconds=QUEUED_MAX_SECONDS):
                logger.error("Job %s was never started by a worker: failed", job.id)
                _job_finish(job.id, status=JobStatus.FAILED)
            else:
                _enqueue("jobs.start", str(job.id))
            continue
        _job_chunks_requeue(job, now=now)


def _job_chunks_requeue(job: Job, *, now: timezone.datetime) -> None:
    pending = job.chunks.filter(done=False).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )
    lapsed = [chunk for chunk in pending if chunk.lease_until is not None]
    if any(chunk.requeues + 1 >= MAX_CHUNK_REQUEUES for chunk in lapsed):
        logger.error("Job %s: a chunk's worker died %s times: failed", job.id, MAX_CHUNK_REQUEUES)
        _job_finish(job.id, status=JobStatus.FAILED)
        return
    for chunk in lapsed:
        JobChunk.objects.filter(pk=chunk.pk, lease_until=chunk.lease_until).update(
            lease_until=None, requeues=chunk.requeues + 1
        )
    # Unclaimed chunks may only be waiting their turn: an extra message serves the fairest job.
    work_enqueue(min(len(pending), CHUNKS_IN_FLIGHT))
