"""Benchmark of videos on whatever DATABASE_URL (and REDIS_URL) point at.

    .venv/bin/python bench/bench_videos.py [--videos 10000] [--requests 300] [--sync-videos 200]

In a throw-away test database (as bench_accounts.py), prints:
- a video sync of one account holding `--sync-videos` videos at the fake TikTok, at 200 ms
  latency per request: TikTok calls, SQL statements, wall time;
- list latency p50/p99 in-process through the whole stack (JWT, rate limit, selector,
  serialization) with `--videos` videos on the account (and as many on another), for each
  sort order, first page and deep in the walk, with the SQL queries per request;
- EXPLAIN (ANALYZE) of each sort's page query on PostgreSQL.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "backend"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from bench_accounts import percentile, timed_get  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import AbstractBaseUser  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

from apps.audit.services import RequestMeta  # noqa: E402
from apps.tiktok_accounts import services  # noqa: E402
from apps.tiktok_accounts.models import TikTokAccount  # noqa: E402
from apps.videos.models import SORTS, TikTokVideo  # noqa: E402
from apps.videos.services import account_videos_sync  # noqa: E402
from apps.workspaces.personal import personal_workspace_id  # noqa: E402
from testing.fake_tiktok import FakeTikTok  # noqa: E402

LATENCY = 0.2


def bench_sync(owner: AbstractBaseUser, count: int) -> TikTokAccount:
    fake = FakeTikTok(
        client_key=settings.TIKTOK_CLIENT_KEY, client_secret=settings.TIKTOK_CLIENT_SECRET
    )
    base_url = fake.start()
    settings.TIKTOK_API_BASE_URL = base_url
    identity = fake.identities[0]
    workspace_id = personal_workspace_id(owner.pk)
    _, state = services.account_connect_start(user_id=owner.pk, workspace_id=workspace_id)
    account, _ = services.account_connect_complete(
        workspace_id=workspace_id,
        code=fake.issue_code(identity.open_id),
        state=state,
        meta=RequestMeta(user_id=owner.pk),
    )
    fake.content.set_videos(identity.open_id, count)
    fake.reset()
    fake.set_latency(LATENCY)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        result = account_videos_sync(account=account, meta=RequestMeta())
    elapsed = time.perf_counter() - started
    calls = sum(fake.stats()["counts"].values())
    if os.environ.get("BENCH_SHOW_SQL"):
        for query in queries.captured_queries:
            print("   ", query["sql"][:90])
    fake.stop()
    print(
        f"video sync of an account with {count} videos at {LATENCY * 1000:.0f} ms TikTok latency: "
        f"{elapsed:.2f} s; {calls} TikTok calls ({fake.count('video_list')} video list pages); "
        f"{len(queries)} SQL statements; synced {result.synced}, has_more {result.has_more}"
    )
    return account


def seed(account: TikTokAccount, count: int) -> None:
    start, now = datetime(2022, 1, 1, tzinfo=UTC), timezone.now()
    TikTokVideo.objects.bulk_create(
        (
            TikTokVideo(
                account=account,
                video_id=f"bench-{account.pk.hex[:8]}-{n}",
                title=f"Video {n}",
                create_time=start + timedelta(minutes=n),
                view_count=(n * 7919) % 1_000_003,
                like_count=(n * 104_729) % 50_021,
                synced_at=now,
            )
            for n in range(count)
        ),
        batch_size=1000,
    )


def bench_list(owner: AbstractBaseUser, account: TikTokAccount, rounds: int) -> None:
    client = Client(headers={"Authorization": f"Bearer {AccessToken.for_user(owner)}"})
    base = f"/api/accounts/{account.pk}/videos?limit=20"
    print(f"{'request':<44}{'p50 ms':>9}{'p99 ms':>9}{'queries':>9}")
    for sort in SORTS:
        first = f"{base}&sort={sort}"
        url, cases, page = first, {f"{sort}, first page": first}, 1
        while page < 51 and (cursor := client.get(url).json()["next_cursor"]):
            url, page = f"{first}&cursor={cursor}", page + 1
        cases[f"{sort}, page {page}"] = url
        for name, url in cases.items():
            latencies, queries, _ = timed_get(client, url, rounds)
            p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
            print(f"{name:<44}{p50:>9.2f}{p99:>9.2f}{queries:>9}")


def explain(account: TikTokAccount) -> None:
    if connection.vendor != "postgresql":
        return
    for sort, column in SORTS.items():
        query = TikTokVideo.objects.filter(account=account).order_by(f"-{column}", "-id")[:21]
        plan = [line.strip() for line in query.explain(analyze=True).splitlines()]
        scan = next(line for line in plan if "Scan" in line)
        print(f"EXPLAIN ANALYZE {sort}: {scan} | {plan[-1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--sync-videos", type=int, default=200)
    args = parser.parse_args()

    settings.RATE_LIMITS = {scope: "1000000/m" for scope in settings.RATE_LIMITS}
    logging.getLogger("apps.request").setLevel(logging.WARNING)
    setup_test_environment(debug=False)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        owner = get_user_model().objects.create_user("bench-videos", password=None)
        account = bench_sync(owner, args.sync_videos)
        TikTokVideo.objects.filter(account=account).delete()
        other = bench_sync(get_user_model().objects.create_user("bench-2", password=None), 0)
        started = time.perf_counter()
        seed(account, args.videos)
        seed(other, args.videos)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        print(
            f"{connection.vendor}: seeded {args.videos} videos on the account + {args.videos} on "
            f"another in {time.perf_counter() - started:.1f} s"
        )
        bench_list(owner, account, args.requests)
        explain(account)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
