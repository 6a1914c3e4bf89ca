"""Response shapes of `/api/jobs` (and of `POST /api/accounts/batch/sync-all`)."""

import uuid
from datetime import datetime

from ninja import Field, Schema

from apps.jobs.models import JobKind, JobStatus


class JobErrorOut(Schema):
    account_id: uuid.UUID
    code: str


class JobOut(Schema):
    id: uuid.UUID
    kind: JobKind
    status: JobStatus
    total: int
    done: int = Field(
        description="succeeded + failed. Grows while the job runs: each account is counted "
        "once its sync is stored (written at most about once a second per job)."
    )
    succeeded: int
    failed: int
    errors: list[JobErrorOut]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobPageOut(Schema):
    items: list[JobOut]
    next_cursor: str | None
    has_more: bool


class JobListQuery(Schema):
    limit: int = Field(20, ge=1, le=50)
    cursor: str | None = Field(None, max_length=512)
