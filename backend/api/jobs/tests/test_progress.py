"""A sync-all job's progress, watched through GET /api/jobs/{id} while its chunk runs.

The chunk runs in a thread of its own (as in a worker) against the fake TikTok; each account's
sync waits at a gate the test opens, so the test decides when an account finishes instead of
sleeping. Transactional: the chunk's thread has its own database connection.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable

import pytest
from django.db import connection

from apps.audit.models import AuditLog
from apps.jobs import services
from apps.jobs.models import Job, JobChunk
from apps.tiktok_accounts.models import TikTokAccount
from apps.tiktok_accounts.services import bulk_sync
from apps.tiktok_accounts.services.sync import SyncOutcome, profile_fetch_in_worker
from testing.factories import personal_workspace

pytestmark = pytest.mark.django_db(transaction=True)

GATE_TIMEOUT_SECONDS = 30


class Gates:
    """Holds each account's sync until the test opens its gate (only its first sync: a second
    run of the chunk goes straight through)."""

    def __init__(self, accounts: Iterable[TikTokAccount]) -> None:
        self.gates = {account.id: threading.Event() for account in accounts}
        self.seen: set[uuid.UUID] = set()
        self._lock = threading.Lock()

    def fetch(self, account: TikTokAccount) -> SyncOutcome:
        with self._lock:
            first = account.id not in self.seen
            self.seen.add(account.id)
        if first:
            assert self.gates[account.id].wait(GATE_TIMEOUT_SECONDS), "gate never opened"
        return profile_fetch_in_worker(account)

    def open(self, *accounts: TikTokAccount) -> None:
        """Lets these accounts' syncs go on (every account's when none is named)."""
        for account_id in [account.id for account in accounts] or list(self.gates):
            self.gates[account_id].set()


def _start_job(user, monkeypatch: pytest.MonkeyPatch, gates: Gates) -> tuple[Job, int]:
    monkeypatch.setattr(bulk_sync, "profile_fetch_in_worker", gates.fetch)
    monkeypatch.setattr(services, "_enqueue", lambda *args, **kwargs: None)  # run by the test
    job = Job.objects.create(workspace=personal_workspace(user), user=user)
    services.job_start_run(job_id=job.id)
    return job, job.chunks.get().pk


def _in_thread(chunk_id: int) -> threading.Thread:
    def run() -> None:
        try:
            services.job_chunk_run(chunk_id=chunk_id, attempt=0)
        finally:
            connection.close()

    thread = threading.Thread(target=run, name="chunk-worker")
    thread.start()
    return thread


def _job_when(job: Job, condition: Callable[[Job], bool]) -> Job:
    """The job once `condition` holds (waits for the chunk's thread to write; bounded)."""
    deadline = time.monotonic() + GATE_TIMEOUT_SECONDS
    while not condition(fresh := Job.objects.get(pk=job.pk)):
        assert time.monotonic() < deadline, f"done stayed {fresh.done} of {fresh.total}"
        time.sleep(0.02)
    return fresh


def test_done_grows_while_the_job_runs(
    auth_client, user, link_account, fake_tiktok, monkeypatch
) -> None:
    accounts = [link_account(user)[0] for _ in range(5)]
    gates = Gates(accounts)
    job, chunk_id = _start_job(user, monkeypatch, gates)
    worker = _in_thread(chunk_id)
    try:
        gates.open(accounts[2])
        _job_when(job, lambda fresh: fresh.done > 0)

        body = auth_client.get(f"/api/jobs/{job.id}").json()

        assert body["status"] == "running"
        assert 0 < body["done"] < body["total"] == 5
        assert (body["done"], body["succeeded"], body["failed"]) == (1, 1, 0)
        # What `done` counts is stored: the account, its audit entry.
        synced = TikTokAccount.objects.get(pk=accounts[2].pk)
        assert synced.follower_count == accounts[2].follower_count + 100
        assert AuditLog.objects.filter(action="sync", resource_id=accounts[2].pk).count() == 1
    finally:
        gates.open()
        worker.join(GATE_TIMEOUT_SECONDS)
    body = auth_client.get(f"/api/jobs/{job.id}").json()
    assert (body["status"], body["done"], body["succeeded"], body["failed"]) == (
        "succeeded",
        5,
        5,
        0,
    )
    assert AuditLog.objects.filter(action="sync").count() == 5


def test_a_second_run_of_a_chunk_whose_lease_lapsed_counts_each_account_once(
    user, link_account, fake_tiktok, monkeypatch
) -> None:
    accounts = [link_account(user)[0] for _ in range(4)]
    gates = Gates(accounts)
    job, chunk_id = _start_job(user, monkeypatch, gates)
    first = _in_thread(chunk_id)
    try:
        gates.open(accounts[0])
        _job_when(job, lambda fresh: fresh.done == 1)
        # The first worker looks dead: its lease lapsed, and another worker runs the chunk.
        JobChunk.objects.filter(pk=chunk_id).update(lease_until=None)

        assert services.job_chunk_run(chunk_id=chunk_id, attempt=0) is None
    finally:
        gates.open()  # the first worker was only slow: its late outcomes come in now
        first.join(GATE_TIMEOUT_SECONDS)

    job.refresh_from_db()
    assert (job.status, job.total, job.succeeded, job.failed) == ("succeeded", 4, 4, 0)
    assert JobChunk.objects.get(pk=chunk_id).done
    for account in accounts:
        assert AuditLog.objects.filter(action="sync", resource_id=account.pk).count() == 1
    # The second run synced only what the first had not stored.
    assert fake_tiktok.count("user_info") == 4 + 3
