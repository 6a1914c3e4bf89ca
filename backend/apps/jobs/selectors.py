"""Reads of jobs: the workspace's, newest first."""

from __future__ import annotations

import uuid

from apps.core.cursor import Page, keyset_page
from apps.core.errors import JobNotFound
from apps.jobs.models import Job
from apps.workspaces.access import WorkspaceAccess


def job_list_page(*, access: WorkspaceAccess, limit: int, cursor: str | None = None) -> Page[Job]:
    return keyset_page(
        Job.objects.filter(workspace_id=access.id),
        limit=limit,
        cursor=cursor,
        owner=access.owner,
        listing="jobs",
        filters={},
    )


def job_get(*, workspace_id: uuid.UUID, job_id: uuid.UUID) -> Job:
    """The workspace's job, or JOB_NOT_FOUND (never saying whose)."""
    job = Job.objects.filter(workspace_id=workspace_id, id=job_id).first()
    if job is None:
        raise JobNotFound
    return job
