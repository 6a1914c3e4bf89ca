"""Reads of jobs: the caller's own, newest first."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser

from apps.core.cursor import Page, keyset_page
from apps.core.errors import JobNotFound
from apps.jobs.models import Job


def job_list_page(*, user: AbstractBaseUser, limit: int, cursor: str | None = None) -> Page[Job]:
    return keyset_page(
        Job.objects.filter(user=user),
        limit=limit,
        cursor=cursor,
        user_id=user.pk,
        listing="jobs",
        filters={},
    )


def job_get(*, user: AbstractBaseUser, job_id: uuid.UUID) -> Job:
    """The caller's job, or JOB_NOT_FOUND (never saying whose)."""
    job = Job.objects.filter(user=user, id=job_id).first()
    if job is None:
        raise JobNotFound
    return job
