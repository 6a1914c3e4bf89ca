"""`job.finished`: emitted wherever a job reaches its final status, in that write's transaction
(its last chunk's progress, an empty job's start, the watchdog or a failed enqueue)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from apps.core.renderers import timestamp
from apps.events.models import EventType
from apps.events.services import event_emit
from apps.jobs.models import Job

# The API's JobOut, field for field and in its order (api/outbound_webhooks/tests compare).
JOB_OUT_FIELDS = (
    "id",
    "kind",
    "status",
    "total",
    "done",
    "succeeded",
    "failed",
    "errors",
    "created_at",
    "started_at",
    "finished_at",
)


def job_event_data(job: Job) -> dict[str, Any]:
    """JobOut of a job, ready for JSON."""
    data: dict[str, Any] = {}
    for name in JOB_OUT_FIELDS:
        value = getattr(job, name)
        if isinstance(value, datetime):
            value = timestamp(value)
        elif isinstance(value, uuid.UUID) or name in ("kind", "status"):
            value = str(value)
        data[name] = value
    return data


def job_finished_emit(job: Job) -> None:
    event_emit(workspace_id=job.workspace_id, type=EventType.JOB_FINISHED, data=job_event_data(job))
