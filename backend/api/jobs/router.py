"""`/api/jobs`: the caller's background jobs (sync-all), read-only."""

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from api.jobs.schemas import JobListQuery, JobOut, JobPageOut
from api.round_trip import user_rate_limit
from apps.core.errors import NOT_FOUND, READ_ERRORS
from apps.jobs import selectors

router = Router(tags=["jobs"])


@router.get("", response={200: JobPageOut, **READ_ERRORS}, summary="List my jobs, newest first")
@user_rate_limit("read")
def job_list(request: HttpRequest, query: Query[JobListQuery]) -> Any:
    return selectors.job_list_page(user=request.auth, **query.dict())


@router.get("/{job_id}", response={200: JobOut, **NOT_FOUND, **READ_ERRORS}, summary="One job")
@user_rate_limit("read")
def job_detail(request: HttpRequest, job_id: uuid.UUID) -> Any:
    return selectors.job_get(user=request.auth, job_id=job_id)
