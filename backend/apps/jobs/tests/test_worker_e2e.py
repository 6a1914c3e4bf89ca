"""End to end with real Celery workers and schedulers on Redis: enqueue -> worker -> the API.

Run in CI's PostgreSQL + Redis pass (skipped without REDIS_URL). Every wait is a bounded poll.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from apps.audit.models import AuditLog
from apps.jobs import services
from apps.jobs.models import Job, JobChunk, JobStatus
from apps.tiktok_accounts.models import TikTokAccount
from testing.factories import personal_workspace
from testing.fake_tiktok import FakeTikTok
from testing.workers import (
    BACKEND_DIR,
    REAL_WORKER_MARKS,
    celery_processes,
    environment,
    kill,
    wait_for,
)

pytestmark = REAL_WORKER_MARKS


def peak_calls_per_minute(fake: FakeTikTok) -> int:
    """The most calls the service made in any 60-second window (test set-up's grants aside)."""
    times = sorted(r.at for r in fake.requests if r.endpoint in ("user_info", "refresh"))
    start, peak = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - 60:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


def _job_over(job_id: str) -> bool:
    return Job.objects.get(pk=job_id).status not in (JobStatus.QUEUED, JobStatus.RUNNING)


def test_sync_all_of_500_accounts_on_two_workers_syncs_each_once_within_the_budget(
    auth_client, user, link_account, fake_tiktok: FakeTikTok
) -> None:
    accounts = [link_account(user)[0] for _ in range(500)]
    broken = accounts[123]
    fake_tiktok.add_fault("user_info", "server_error", open_id=broken.open_id)
    fake_tiktok.set_latency(0.2)

    with celery_processes(fake_tiktok, workers=2):
        first = auth_client.post("/api/accounts/batch/sync-all")
        second = auth_client.post("/api/accounts/batch/sync-all")
        assert (first.status_code, second.status_code) == (202, 202)
        job_id = first.json()["id"]
        assert second.json()["id"] == job_id  # the same job, not a second one
        wait_for(lambda: _job_over(job_id), timeout=120, what="the sync-all job")

    body = auth_client.get(f"/api/jobs/{job_id}").json()
    assert body["status"] == "partial"
    assert (body["total"], body["done"], body["succeeded"], body["failed"]) == (500, 500, 499, 1)
    assert body["errors"] == [{"account_id": str(broken.id), "code": "TIKTOK_UPSTREAM_ERROR"}]
    calls = Counter(r.open_id for r in fake_tiktok.requests if r.endpoint == "user_info")
    assert calls == Counter({account.open_id: 1 for account in accounts})
    stats = fake_tiktok.stats()
    # In parallel (2 workers x 2 processes x BATCH_SYNC_MAX_WORKERS threads), never beyond.
    assert 1 < stats["max_in_flight"] <= 2 * 2 * settings.BATCH_SYNC_MAX_WORKERS
    assert peak_calls_per_minute(fake_tiktok) <= settings.TIKTOK_REQUESTS_PER_MINUTE
    entries = AuditLog.objects.filter(workspace=personal_workspace(user), action="sync")
    assert entries.count() == 500
    assert {entry.metadata["job_id"] for entry in entries} == {job_id}


def test_a_job_whose_worker_was_killed_is_picked_up_again_and_finishes(
    auth_client, user, link_account, fake_tiktok: FakeTikTok
) -> None:
    accounts = [link_account(user)[0] for _ in range(60)]
    fake_tiktok.set_latency(0.5)

    with celery_processes(fake_tiktok, workers=1, env={"BATCH_SYNC_MAX_WORKERS": "2"}) as [w]:
        job_id = auth_client.post("/api/accounts/batch/sync-all").json()["id"]
        wait_for(
            lambda: JobChunk.objects.filter(job_id=job_id, lease_until__isnull=False).exists(),
            timeout=30,
            what="a worker to take a chunk",
        )
        kill(w)  # SIGKILL, mid-chunk: nothing of that chunk is stored
        w.wait(timeout=15)
    job = Job.objects.get(pk=job_id)
    assert job.status == JobStatus.RUNNING
    assert job.done < job.total

    # As if the lease and the heartbeat had lapsed (the watchdog runs every minute).
    past = timezone.now() - timedelta(seconds=services.STALE_AFTER_SECONDS + 1)
    JobChunk.objects.filter(job_id=job_id, lease_until__isnull=False).update(lease_until=past)
    Job.objects.filter(pk=job_id).update(heartbeat_at=past)
    fake_tiktok.set_latency(0)
    with celery_processes(fake_tiktok, workers=1):
        services.job_watchdog()
        wait_for(lambda: _job_over(job_id), timeout=60, what="the job to finish")

    body = auth_client.get(f"/api/jobs/{job_id}").json()
    assert (body["status"], body["done"], body["succeeded"]) == ("succeeded", 60, 60)
    per_account = Counter(
        AuditLog.objects.filter(workspace=personal_workspace(user), action="sync").values_list(
            "resource_id", flat=True
        )
    )
    assert per_account == Counter({account.id: 1 for account in accounts})


def test_two_workers_and_two_schedulers_refresh_and_sync_each_due_account_once(
    user, link_account, fake_tiktok: FakeTikTok
) -> None:
    now = timezone.now()
    due = [
        link_account(user, access_token_expires_at=now + timedelta(minutes=20), last_synced_at=now)[
            0
        ]
        for _ in range(20)
    ]
    far = [link_account(user, last_synced_at=now)[0] for _ in range(5)]
    stale = [link_account(user, last_synced_at=now - timedelta(hours=2))[0] for _ in range(10)]
    env = {
        "TOKEN_REFRESH_INTERVAL_SECONDS": "1",
        "SCHEDULED_SYNC_INTERVAL_SECONDS": "1",
        "SYNC_STALE_AFTER_SECONDS": "3600",
    }

    def entries(action: str) -> int:
        return AuditLog.objects.filter(workspace=personal_workspace(user), action=action).count()

    with celery_processes(fake_tiktok, workers=2, beats=2, env=env):
        wait_for(
            lambda: entries("token_refresh") >= 20 and entries("sync") >= 10,
            timeout=60,
            what="every due refresh and stale sync",
        )
        time.sleep(4)  # four more periods of both schedulers: nothing more may happen

    refreshed = Counter(
        AuditLog.objects.filter(action="token_refresh").values_list("resource_id", flat=True)
    )
    assert refreshed == Counter({account.id: 1 for account in due})
    assert fake_tiktok.count("refresh") == 20
    for account in far:
        assert TikTokAccount.objects.get(pk=account.pk).token_version == account.token_version
    synced = Counter(AuditLog.objects.filter(action="sync").values_list("resource_id", flat=True))
    assert synced == Counter({account.id: 1 for account in stale})
    assert fake_tiktok.count("user_info") == 10


_TAKE_BUDGET = """
import django, sys
django.setup()
from integrations.tiktok import budget
from integrations.tiktok.errors import TikTokRateLimitError
taken = 0
for _ in range(40):
    try:
        budget.budget_take()
        taken += 1
    except TikTokRateLimitError:
        pass
print(taken)
"""


def test_the_budget_holds_across_two_processes(fake_tiktok: FakeTikTok) -> None:
    env = {"TIKTOK_REQUESTS_PER_MINUTE": "30"}

    runs = [
        subprocess.Popen(  # noqa: S603 (our own interpreter and script)
            [sys.executable, "-c", _TAKE_BUDGET],
            cwd=BACKEND_DIR,
            env=environment(fake_tiktok, env),
            stdout=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    taken = [int(run.communicate(timeout=60)[0]) for run in runs]

    assert sum(taken) == 30
