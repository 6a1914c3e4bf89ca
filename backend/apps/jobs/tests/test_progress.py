"""A job's progress writes: one as the first account finishes, then at most one a second.

The clock is time-machine's: each account's sync moves it 100 ms on, and the accounts finish
one at a time (a sequential stand-in for the worker threads), so the count is exact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.jobs import services
from apps.jobs.models import Job, JobChunk, JobStatus
from apps.jobs.progress import PROGRESS_INTERVAL, ChunkProgress
from apps.tiktok_accounts.services import bulk_sync
from apps.tiktok_accounts.services.bulk_sync import CHUNK_SIZE
from apps.tiktok_accounts.services.sync import SyncOutcome
from integrations.tiktok.client import UserInfo
from testing.factories import TikTokAccountFactory, personal_workspace

pytestmark = pytest.mark.django_db

SYNC_TAKES = timedelta(milliseconds=100)
# A fixed instant: the count must not depend on when the suite runs.
START = datetime(2030, 1, 2, 12, 0, tzinfo=UTC)


def test_a_big_chunk_writes_its_progress_at_most_once_a_second(user, monkeypatch) -> None:
    seen_done: list[int] = []
    with time_machine.travel(START, tick=False) as clock:
        TikTokAccountFactory.create_batch(CHUNK_SIZE, user=user)
        job = Job.objects.create(workspace=personal_workspace(user), user=user)
        monkeypatch.setattr(services, "_enqueue", lambda *args, **kwargs: None)
        services.job_start_run(job_id=job.id)

        def synced(account: Any) -> SyncOutcome:
            seen_done.append(Job.objects.get(pk=job.pk).done)
            clock.shift(SYNC_TAKES)
            return SyncOutcome(account=account, profile=UserInfo(open_id=account.open_id))

        def one_at_a_time(
            work: Callable[[Any], SyncOutcome], items: Iterable[Any], **_: Any
        ) -> Iterator[SyncOutcome]:
            return (work(item) for item in items)

        monkeypatch.setattr(bulk_sync, "profile_fetch_in_worker", synced)
        monkeypatch.setattr(bulk_sync, "parallel_each", one_at_a_time)
        with CaptureQueriesContext(connection) as queries:
            services.job_chunk_run(chunk_id=job.chunks.get().pk, attempt=0)

    job_writes = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "jobs_job" ')]
    # 50 accounts in 5 s: the first at once (0.1 s), then one a second (1.1 s to 4.1 s), then
    # the chunk's last write (5 s); not one per account.
    assert CHUNK_SIZE * SYNC_TAKES == 5 * PROGRESS_INTERVAL
    assert len(job_writes) == 1 + 4 + 1
    assert seen_done[:2] == [0, 1]
    assert seen_done == sorted(seen_done)
    assert 1 < seen_done[-1] < CHUNK_SIZE
    job.refresh_from_db()
    assert (job.status, job.succeeded, job.failed) == (JobStatus.SUCCEEDED, CHUNK_SIZE, 0)


def test_two_chunks_of_one_job_share_its_one_write_a_second(user) -> None:
    with time_machine.travel(START, tick=False) as clock:
        accounts = TikTokAccountFactory.create_batch(4, user=user)
        job = Job.objects.create(
            workspace=personal_workspace(user), user=user, status=JobStatus.RUNNING, total=4
        )
        runs = [
            ChunkProgress(
                chunk_id=JobChunk.objects.create(job=job, account_ids=[str(a.id) for a in pair]).pk,
                job_id=job.id,
                final=False,
            )
            for pair in (accounts[:2], accounts[2:])
        ]

        def finished(run: ChunkProgress, account: Any) -> int:
            run.add(SyncOutcome(account=account, profile=UserInfo(open_id=account.open_id)))
            return Job.objects.get(pk=job.pk).done

        assert finished(runs[0], accounts[0]) == 1
        assert finished(runs[1], accounts[2]) == 1  # the job's progress was just written
        clock.shift(PROGRESS_INTERVAL)
        assert finished(runs[1], accounts[3]) == 3
        assert finished(runs[0], accounts[1]) == 3  # the other chunk's write took this second
        assert [run.finish(attempt=0) for run in runs] == [None, None]

    job.refresh_from_db()
    assert (job.status, job.succeeded) == (JobStatus.SUCCEEDED, 4)
