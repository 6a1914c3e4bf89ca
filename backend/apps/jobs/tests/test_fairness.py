"""Chunks of different jobs take turns: a job hands out a few work messages, not a message per
chunk, and each message runs a chunk of the job with the fewest chunks running."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from apps.jobs import services
from apps.jobs.models import Job, JobChunk, JobStatus
from testing.factories import TikTokAccountFactory, UserFactory, personal_workspace

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def sent(monkeypatch) -> list:
    messages: list = []
    monkeypatch.setattr(services, "_enqueue", lambda *args, **kwargs: messages.append(args))
    return messages


def _running_job(chunks: int, *, leased: int = 0, started_minutes_ago: int = 0) -> Job:
    workspace = personal_workspace(UserFactory())
    job = Job.objects.create(
        workspace=workspace,
        status=JobStatus.RUNNING,
        started_at=NOW - timedelta(minutes=started_minutes_ago),
    )
    for number in range(chunks):
        lease = NOW + timedelta(seconds=30) if number < leased else None
        JobChunk.objects.create(job=job, account_ids=[str(number)], lease_until=lease)
    return job


def _job_of(chunk_id: int) -> Job:
    return JobChunk.objects.get(pk=chunk_id).job


def test_a_job_hands_out_a_few_work_messages_not_one_per_chunk(
    sent, django_capture_on_commit_callbacks
) -> None:
    user = UserFactory()
    for _ in range(services.CHUNKS_IN_FLIGHT * 50 + 1):
        TikTokAccountFactory(user=user)
    job = Job.objects.create(workspace=personal_workspace(user))

    with django_capture_on_commit_callbacks(execute=True):
        services.job_start_run(job_id=job.id)

    assert job.chunks.count() == services.CHUNKS_IN_FLIGHT + 1
    assert sent == [("jobs.work",)] * services.CHUNKS_IN_FLIGHT


def test_the_next_chunk_is_the_one_of_the_job_with_fewest_running() -> None:
    _running_job(20, leased=3, started_minutes_ago=10)  # the big job: older, 3 running
    small = _running_job(1)

    assert _job_of(services._fair_next_chunk()) == small


def test_jobs_with_as_many_running_go_oldest_first_and_then_take_turns() -> None:
    older = _running_job(5, started_minutes_ago=10)
    newer = _running_job(5, started_minutes_ago=1)
    order = []
    for _ in range(4):
        chunk_id = services._fair_next_chunk()
        JobChunk.objects.filter(pk=chunk_id).update(lease_until=NOW + timedelta(seconds=60))
        order.append(_job_of(chunk_id))

    assert order == [older, newer, older, newer]


def test_no_chunk_waits_when_every_chunk_runs_or_is_done() -> None:
    job = _running_job(2, leased=1)
    job.chunks.filter(lease_until__isnull=True).update(done=True)

    assert services._fair_next_chunk() is None


def test_a_chunk_whose_lease_lapsed_is_handed_out_again() -> None:
    job = _running_job(1, leased=1)
    job.chunks.update(lease_until=NOW - timedelta(seconds=1))

    assert _job_of(services._fair_next_chunk()) == job
