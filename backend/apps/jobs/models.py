"""Background jobs started in a workspace (sync-all) and their chunks."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class JobKind(models.TextChoices):
    SYNC_ALL = "sync_all"


class JobStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"


ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
MAX_JOB_ERRORS = 100


class Job(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="jobs", db_index=False
    )
    # Who started it (None: the service itself).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
        db_index=False,
    )
    kind = models.CharField(max_length=16, choices=JobKind.choices, default=JobKind.SYNC_ALL)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # `{account_id, code}` of the first MAX_JOB_ERRORS failures.
    errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Last sign of life of whoever works on the job; the watchdog acts when it gets old.
    heartbeat_at = models.DateTimeField(default=timezone.now)
    # The last write of a running chunk's progress: throttles them to one a second per job.
    progress_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            # One queued or running job per workspace and kind, even under concurrent POSTs.
            models.UniqueConstraint(
                fields=["workspace", "kind"],
                condition=models.Q(status__in=ACTIVE_STATUSES),
                name="jobs_one_active_per_ws_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "-created_at", "-id"], name="jobs_ws_created_id"),
            models.Index(
                fields=["heartbeat_at"],
                condition=models.Q(status__in=ACTIVE_STATUSES),
                name="jobs_active_heartbeat",
            ),
            # tta_jobs{status} of /metrics, counted from this index alone (apps/core/counting.py).
            models.Index(fields=["status"], name="jobs_status"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"

    @property
    def done(self) -> int:
        return self.succeeded + self.failed


class JobChunk(models.Model):
    """Up to CHUNK_SIZE accounts of a job, synced by one task; `done` makes a rerun a no-op."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="chunks")
    account_ids = models.JSONField(default=list)
    done = models.BooleanField(default=False)
    # While in the future, one worker holds the chunk (renewed while it works).
    lease_until = models.DateTimeField(null=True, blank=True)
    # Times the watchdog found the chunk's lease lapsed: its worker died mid-chunk.
    requeues = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["job", "done"], name="jobs_chunk_job_done")]

    def __str__(self) -> str:
        return f"chunk {self.pk} of job {self.job_id}"
