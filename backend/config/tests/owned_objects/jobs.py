"""Jobs a user owns (`{job_id}`)."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from apps.jobs.models import Job, JobStatus
from testing.factories import personal_workspace
from testing.fake_tiktok import FakeTikTok


def finished_job(user: AbstractBaseUser, fake: FakeTikTok) -> uuid.UUID:
    """Finished, so the one-active-job-per-user rule never gets in the way."""
    now = timezone.now()
    return Job.objects.create(
        workspace=personal_workspace(user),
        user=user,
        status=JobStatus.SUCCEEDED,
        started_at=now,
        finished_at=now,
    ).id
