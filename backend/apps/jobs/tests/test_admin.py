"""The admin shows recent jobs to ops staff, read-only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.jobs.models import Job, JobStatus
from testing.factories import personal_workspace

pytestmark = pytest.mark.django_db


def test_jobs_are_listed_and_shown_read_only(admin_client: Client, user) -> None:
    job = Job.objects.create(
        workspace=personal_workspace(user),
        user=user,
        status=JobStatus.PARTIAL,
        total=2,
        succeeded=1,
        failed=1,
    )

    listing = admin_client.get(reverse("admin:jobs_job_changelist"))
    detail = admin_client.get(reverse("admin:jobs_job_change", args=[job.pk]))

    assert listing.status_code == 200
    assert str(job.user) in listing.content.decode()
    assert detail.status_code == 200
    assert 'name="status"' not in detail.content.decode()  # no editable field
    assert admin_client.get(reverse("admin:jobs_job_add")).status_code == 403
    assert admin_client.post(reverse("admin:jobs_job_delete", args=[job.pk])).status_code == 403
