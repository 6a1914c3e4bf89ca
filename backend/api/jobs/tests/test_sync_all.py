"""POST /api/accounts/batch/sync-all and GET /api/jobs, with tasks run eagerly.

Transactional: the job's chunks are enqueued on commit, and the sync threads use their own
database connections, so the data must really be committed.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

import pytest
from celery import Celery
from django.db import IntegrityError
from django.utils import timezone

from apps.audit.models import AuditLog
from apps.jobs import services
from apps.jobs.models import Job, JobChunk, JobStatus
from apps.tiktok_accounts.models import TikTokAccount
from apps.tiktok_accounts.services.bulk_sync import RATE_LIMIT_RETRIES, retry_delay
from testing.factories import TikTokAccountFactory, personal_workspace
from testing.http import assert_error

pytestmark = pytest.mark.django_db(transaction=True)

SYNC_ALL = "/api/accounts/batch/sync-all"


def test_sync_all_syncs_every_live_account_once_and_reports_the_job(
    auth_client, user, other_user, link_account, fake_tiktok
) -> None:
    accounts = [link_account(user)[0] for _ in range(7)]
    deleted, _ = link_account(user, is_deleted=True)
    others, _ = link_account(other_user)

    response = auth_client.post(SYNC_ALL)

    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    body = auth_client.get(f"/api/jobs/{job_id}").json()
    assert body["kind"] == "sync_all"
    assert body["status"] == "succeeded"
    assert (body["total"], body["done"], body["succeeded"], body["failed"]) == (7, 7, 7, 0)
    assert body["errors"] == []
    assert body["started_at"] is not None
    assert body["finished_at"] is not None
    synced = {r.open_id for r in fake_tiktok.requests if r.endpoint == "user_info"}
    assert synced == {a.open_id for a in accounts}
    assert fake_tiktok.count("user_info") == 7
    for account in accounts:
        fresh = TikTokAccount.objects.get(pk=account.pk)
        assert fresh.follower_count == account.follower_count + 100
    entries = AuditLog.objects.filter(workspace=personal_workspace(user), action="sync")
    assert entries.count() == 7
    for entry in entries:
        assert entry.metadata["job_id"] == job_id
        assert entry.metadata["actor"] == "system"
        assert entry.metadata["outcome"] == "succeeded"
        assert entry.ip_address is None
    assert not AuditLog.objects.filter(resource_id__in=[deleted.id, others.id]).exists()


def test_sync_all_reports_partial_failure_with_single_sync_codes(
    auth_client, user, link_account, fake_tiktok
) -> None:
    good = [link_account(user)[0] for _ in range(3)]
    broken, _ = link_account(user)
    fake_tiktok.add_fault("user_info", "server_error", open_id=broken.open_id)

    job_id = auth_client.post(SYNC_ALL).json()["id"]

    body = auth_client.get(f"/api/jobs/{job_id}").json()
    assert body["status"] == "partial"
    assert (body["total"], body["done"], body["succeeded"], body["failed"]) == (4, 4, 3, 1)
    assert body["errors"] == [{"account_id": str(broken.id), "code": "TIKTOK_UPSTREAM_ERROR"}]
    assert TikTokAccount.objects.get(pk=broken.pk).last_sync_error.startswith(
        "TIKTOK_UPSTREAM_ERROR"
    )
    assert all(TikTokAccount.objects.get(pk=a.pk).last_sync_error is None for a in good)


def test_sync_all_fails_when_every_account_fails(
    auth_client, user, link_account, fake_tiktok
) -> None:
    link_account(user)
    fake_tiktok.add_fault("user_info", "server_error")

    job_id = auth_client.post(SYNC_ALL).json()["id"]

    body = auth_client.get(f"/api/jobs/{job_id}").json()
    assert (body["status"], body["failed"]) == ("failed", 1)


def _job_with_one_chunk(user) -> tuple[Job, int]:
    job = Job.objects.create(workspace=personal_workspace(user), user=user)
    services.job_start_run(job_id=job.id)
    return job, job.chunks.get().pk


def test_a_rate_limited_chunk_is_retried_after_retry_after_then_completes(
    user, link_account, fake_tiktok
) -> None:
    limited, _ = link_account(user)
    fine, _ = link_account(user)
    fake_tiktok.rate_limit_retry_after = 30
    fake_tiktok.add_fault("user_info", "rate_limit", times=1, open_id=limited.open_id)
    job, chunk_id = _job_with_one_chunk(user)  # eager: the chunk ran and met the 429
    chunk = JobChunk.objects.get(pk=chunk_id)

    # The rate-limited account waits for its retry, held past TikTok's Retry-After.
    assert (chunk.done, chunk.account_ids) == (False, [str(limited.id)])
    assert chunk.lease_until >= timezone.now() + timedelta(seconds=29)
    job.refresh_from_db()
    assert (job.status, job.succeeded, job.failed) == (JobStatus.RUNNING, 1, 0)
    assert not AuditLog.objects.filter(resource_id=limited.id).exists()
    # Not before its time, even when the message comes early.
    assert services.job_chunk_run(chunk_id=chunk_id, attempt=1) is None
    assert fake_tiktok.count("user_info") == 2

    JobChunk.objects.filter(pk=chunk_id).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert services.job_chunk_run(chunk_id=chunk_id, attempt=1) is None

    job.refresh_from_db()
    assert (job.status, job.succeeded, job.failed) == (JobStatus.SUCCEEDED, 2, 0)
    assert AuditLog.objects.filter(resource_id=limited.id, action="sync").count() == 1
    assert fine.id


def test_retry_delays_honour_retry_after_and_grow(user) -> None:
    delays = [retry_delay(30, attempt) for attempt in range(4)]

    assert delays[0] >= 30
    assert all(later > earlier for earlier, later in itertools.pairwise(delays))
    assert retry_delay(0, 0) >= 1


def test_the_last_attempt_records_tiktoks_rate_limit_as_the_failure(
    user, link_account, fake_tiktok
) -> None:
    account, _ = link_account(user)
    fake_tiktok.add_fault("user_info", "rate_limit", open_id=account.open_id)
    job, chunk_id = _job_with_one_chunk(user)
    JobChunk.objects.filter(pk=chunk_id).update(lease_until=None)

    assert services.job_chunk_run(chunk_id=chunk_id, attempt=RATE_LIMIT_RETRIES) is None

    job.refresh_from_db()
    assert (job.status, job.failed) == (JobStatus.FAILED, 1)
    assert job.errors == [{"account_id": str(account.id), "code": "TIKTOK_RATE_LIMITED"}]


def test_sync_all_of_no_accounts_succeeds_at_once(auth_client, user) -> None:
    body = auth_client.post(SYNC_ALL).json()

    job = auth_client.get(f"/api/jobs/{body['id']}").json()
    assert (job["status"], job["total"], job["done"]) == ("succeeded", 0, 0)


def test_second_post_returns_the_running_job(auth_client, user) -> None:
    running = Job.objects.create(
        workspace=personal_workspace(user), user=user, status=JobStatus.RUNNING, total=3
    )

    response = auth_client.post(SYNC_ALL)

    assert response.status_code == 202
    assert response.json()["id"] == str(running.id)
    assert Job.objects.filter(user=user).count() == 1


def test_the_database_refuses_a_second_active_job_per_user(user) -> None:
    Job.objects.create(workspace=personal_workspace(user), user=user, status=JobStatus.QUEUED)
    Job.objects.create(workspace=personal_workspace(user), user=user, status=JobStatus.SUCCEEDED)

    with pytest.raises(IntegrityError):
        Job.objects.create(workspace=personal_workspace(user), user=user, status=JobStatus.RUNNING)


def test_sync_all_is_503_when_the_broker_is_down(
    auth_client, user, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Celery app of its own on an unreachable broker: its own connection pools, none of the
    # configured broker's.
    with Celery("broker-down", set_as_current=False) as down:
        down.config_from_object("django.conf:settings", namespace="CELERY")
        down.conf.broker_url = "redis://127.0.0.1:1/0"
        monkeypatch.setattr(services, "current_app", down)

        response = auth_client.post(SYNC_ALL)

    assert_error(response, 503, "SERVICE_UNAVAILABLE")
    # The job that could not be handed out is over, so a later POST starts a new one.
    assert list(Job.objects.filter(user=user).values_list("status", flat=True)) == ["failed"]


def test_jobs_are_the_callers_own_newest_first_and_paginated(auth_client, user, other_user) -> None:
    mine = [
        Job.objects.create(
            workspace=personal_workspace(user), user=user, status=JobStatus.SUCCEEDED
        )
        for _ in range(3)
    ]
    theirs = Job.objects.create(
        workspace=personal_workspace(other_user), user=other_user, status=JobStatus.SUCCEEDED
    )

    first = auth_client.get("/api/jobs?limit=2").json()
    second = auth_client.get(f"/api/jobs?limit=2&cursor={first['next_cursor']}").json()

    ids = [item["id"] for item in first["items"] + second["items"]]
    assert ids == [str(job.id) for job in reversed(mine)]
    assert (first["has_more"], second["has_more"]) == (True, False)
    assert_error(auth_client.get(f"/api/jobs/{theirs.id}"), 404, "JOB_NOT_FOUND")
    assert_error(auth_client.get(f"/api/jobs/{uuid.uuid4()}"), 404, "JOB_NOT_FOUND")
    assert auth_client.get("/api/jobs/not-a-uuid").status_code == 422
    assert_error(auth_client.get("/api/jobs?cursor=bogus"), 422, "INVALID_CURSOR")


def test_sync_all_has_its_own_rate_limit(auth_client, user, settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "sync_all": "2/m"}

    statuses = [auth_client.post(SYNC_ALL).status_code for _ in range(3)]

    assert statuses == [202, 202, 429]


def test_sync_all_counts_an_account_deleted_before_its_chunk_ran_as_not_found(
    user, link_account, fake_tiktok, monkeypatch: pytest.MonkeyPatch
) -> None:
    link_account(user)
    gone = TikTokAccountFactory(user=user)
    monkeypatch.setattr(services, "_enqueue", lambda *args, **kwargs: None)
    job, chunk_id = _job_with_one_chunk(user)
    TikTokAccount.objects.filter(pk=gone.pk).update(is_deleted=True)

    services.job_chunk_run(chunk_id=chunk_id, attempt=0)

    job.refresh_from_db()
    assert (job.status, job.succeeded, job.failed) == (JobStatus.PARTIAL, 1, 1)
    assert job.errors == [{"account_id": str(gone.id), "code": "ACCOUNT_NOT_FOUND"}]


def test_a_chunk_that_ran_already_does_nothing_when_its_message_comes_again(
    user, link_account, fake_tiktok
) -> None:
    link_account(user)
    job, chunk_id = _job_with_one_chunk(user)

    assert services.job_chunk_run(chunk_id=chunk_id, attempt=0) is None

    job.refresh_from_db()
    assert (job.status, job.succeeded) == (JobStatus.SUCCEEDED, 1)
    assert fake_tiktok.count("user_info") == 1
