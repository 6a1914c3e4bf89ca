"""Sync-all of N accounts at 200 ms fake TikTok latency through one real Celery worker.

Prints the wall time (job created -> finished), the peak of TikTok calls in any 60 s window,
the SQL statements per account of a chunk (measured in-process on one chunk), and the worker's
peak RSS (main process + pool children). Uses DATABASE_URL / REDIS_URL as they are set: run it
on a throw-away database, e.g.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tta_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
        CACHE_KEY_PREFIX=bench .venv/bin/python bench/bench_sync_all.py --accounts 1000
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "backend"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from apps.jobs import services  # noqa: E402
from apps.jobs.models import ACTIVE_STATUSES, Job  # noqa: E402
from apps.tiktok_accounts.models import TikTokAccount  # noqa: E402
from apps.workspaces.personal import personal_workspace_id  # noqa: E402
from testing.accounts import fake_grant  # noqa: E402
from testing.factories import TikTokAccountFactory  # noqa: E402
from testing.fake_tiktok import FakeTikTok  # noqa: E402


def rss_kib(pid: int) -> int:
    """RSS of `pid` and its children, in KiB."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(child) for child in children.read_text().split()]
    for one in pids:
        for line in Path(f"/proc/{one}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def peak_per_minute(times: list[float]) -> int:
    times, start, peak = sorted(times), 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - 60:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    fake = FakeTikTok(
        client_key=settings.TIKTOK_CLIENT_KEY, client_secret=settings.TIKTOK_CLIENT_SECRET
    )
    fake.start()
    user = get_user_model().objects.create_user(f"bench-{os.getpid()}", password="x")
    with override_settings(TIKTOK_API_BASE_URL=fake.base_url):
        for number in range(args.accounts):
            person = fake.add_identity(open_id=f"bench-{os.getpid()}-{number}")
            grant = fake_grant(fake, person.open_id)
            TikTokAccountFactory(
                user=user,
                open_id=person.open_id,
                access_token=grant["access_token"],
                refresh_token=grant["refresh_token"],
            )
    fake.reset()
    fake.set_latency(args.latency)
    env = {**os.environ, "TIKTOK_API_BASE_URL": fake.base_url, "LOG_LEVEL": "WARNING"}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "--workdir",
            "backend",
            "-A",
            "config",
            "worker",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        time.sleep(3)
        job = services.job_sync_all_start(
            workspace_id=personal_workspace_id(user.pk), user_id=user.pk
        )
        peak_rss = 0
        while Job.objects.filter(pk=job.pk, status__in=ACTIVE_STATUSES).exists():
            peak_rss = max(peak_rss, rss_kib(worker.pid))
            time.sleep(0.5)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
    job.refresh_from_db()
    wall = (job.finished_at - job.created_at).total_seconds()
    calls = [r.at for r in fake.requests if r.endpoint in ("user_info", "refresh")]
    print(
        f"sync-all of {args.accounts} accounts at {args.latency * 1000:.0f} ms latency, budget "
        f"{settings.TIKTOK_REQUESTS_PER_MINUTE}/min, {settings.BATCH_SYNC_MAX_WORKERS} threads "
        f"per chunk: {job.status} in {wall:.1f} s ({job.succeeded} ok, {job.failed} failed); "
        f"{len(calls)} TikTok calls, peak {peak_per_minute(calls)} in any 60 s; "
        f"max {fake.stats()['max_in_flight']} in flight; worker peak RSS {peak_rss / 1024:.0f} MiB"
    )

    # SQL per account: one chunk run in-process (the budget set aside for this measure).
    fake.set_latency(0)
    services._enqueue = lambda *a, **k: None  # type: ignore[assignment]
    second = Job.objects.create(workspace_id=personal_workspace_id(user.pk), user=user)
    services.job_start_run(job_id=second.id)
    chunk = second.chunks.first()
    with (
        override_settings(TIKTOK_API_BASE_URL=fake.base_url, TIKTOK_REQUESTS_PER_MINUTE=10**6),
        CaptureQueriesContext(connection) as queries,
    ):
        services.job_chunk_run(chunk_id=chunk.pk, attempt=0)
    size = len(chunk.account_ids)
    print(
        f"one chunk of {size} accounts: {len(queries)} SQL statements in the task's thread "
        f"({len(queries) / size:.2f} per account)"
    )
    TikTokAccount.all_objects.filter(workspace_id=personal_workspace_id(user.pk)).delete()
    Job.objects.filter(user=user).delete()
    fake.stop()


if __name__ == "__main__":
    main()
