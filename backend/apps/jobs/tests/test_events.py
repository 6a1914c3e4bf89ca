"""`job.finished` from every path that ends a job."""

from __future__ import annotations

import pytest

from apps.events.models import Event
from apps.jobs import services
from apps.jobs.models import Job, JobStatus
from testing.factories import personal_workspace

pytestmark = pytest.mark.django_db


def test_a_job_with_no_account_finishes_at_start_and_says_so(user) -> None:
    job = Job.objects.create(workspace=personal_workspace(user), user=user)
    services.job_start_run(job_id=job.id)
    [event] = Event.objects.all()
    assert (event.type, event.data["id"], event.data["status"]) == (
        "job.finished",
        str(job.id),
        "succeeded",
    )


def test_a_job_failed_by_the_service_says_so_once(user) -> None:
    job = Job.objects.create(workspace=personal_workspace(user), user=user)
    services._job_finish(job.id, status=JobStatus.FAILED)
    services._job_finish(job.id, status=JobStatus.FAILED)  # already over: nothing
    assert [(e.type, e.data["status"]) for e in Event.objects.all()] == [("job.finished", "failed")]


def test_the_last_chunk_of_a_sync_all_ends_the_job_with_its_counts(
    user, link_account, auth_client, django_capture_on_commit_callbacks
) -> None:
    link_account(user)
    with django_capture_on_commit_callbacks(execute=True):  # eager: the chunks run at commit
        job_id = auth_client.post("/api/accounts/batch/sync-all").json()["id"]
    [event] = Event.objects.filter(type="job.finished")
    assert event.data == auth_client.get(f"/api/jobs/{job_id}").json()
