"""`/api/jobs`: the workspace's background jobs (sync-all), read-only."""

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Query

from api.jobs.schemas import JobListQuery, JobOut, JobPageOut
from api.round_trip import user_rate_limit
from api.workspace_scope import WorkspaceRouter, requires
from apps.core.errors import NOT_FOUND, READ_ERRORS
from apps.jobs import selectors
from apps.workspaces.models import Role

router = WorkspaceRouter(tags=["jobs"])


@router.get(
    "", response={200: JobPageOut, **READ_ERRORS}, summary="List the workspace's jobs, newest first"
)
@requires(Role.VIEWER)
@user_rate_limit("read")
def job_list(request: HttpRequest, query: Query[JobListQuery]) -> Any:
    return selectors.job_list_page(access=request.workspace, **query.dict())


@router.get("/{job_id}", response={200: JobOut, **NOT_FOUND, **READ_ERRORS}, summary="One job")
@requires(Role.VIEWER)
@user_rate_limit("read")
def job_detail(request: HttpRequest, job_id: uuid.UUID) -> Any:
    return selectors.job_get(workspace_id=request.workspace.id, job_id=job_id)
