"""Benchmark of the analytics route's selector and of the history CSV export, on whatever
DATABASE_URL points at.

    .venv/bin/python bench/bench_analytics.py [--videos 1000] [--points 105120] [--runs 50]

Creates a throw-away test database (as bench_history.py does) and gives one account a year of
5-minute history points (105,120), 1,000 videos created over that year, and a second account
the same (so every index has to pick one account's rows). Then:
- times `account_analytics` for 7, 30 and 90 days (p50, max; every statement included) and
  prints EXPLAIN (ANALYZE) of each of its statements on PostgreSQL;
- exports the first account's raw history (`--export-points` of them, the newest) through the
  whole Django stack (`GET /api/accounts/{id}/history.csv`, middleware and auth included,
  in-process) and reports bytes, MB/s, and the process's peak RSS during the export over its
  RSS before it (Linux: VmHWM reset through /proc/self/clear_refs), for 10,000 points and for
  all, so a flat memory shows as the same peak for both.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "backend"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from apps.analytics.selectors import Period, account_analytics  # noqa: E402
from apps.history.models import HistoryPoint  # noqa: E402
from apps.tiktok_accounts.models import TikTokAccount  # noqa: E402
from apps.videos.models import TikTokVideo  # noqa: E402
from testing.factories import TikTokAccountFactory  # noqa: E402
from testing.http import bearer_header  # noqa: E402

STEP = timedelta(minutes=5)
BATCH = 10_000


def seed(account: TikTokAccount, *, points: int, videos: int) -> None:
    now = timezone.now()
    for start in range(0, points, BATCH):
        HistoryPoint.objects.bulk_create(
            HistoryPoint(
                account=account,
                at=now - STEP * n,
                follower_count=1_000_000 - n,
                following_count=300,
                likes_count=9_000_000 - n,
                video_count=videos - n * videos // points,
            )
            for n in range(start, min(start + BATCH, points))
        )
    TikTokVideo.objects.bulk_create(
        TikTokVideo(
            account=account,
            video_id=f"{account.open_id}-{n}",
            title=f"Video {n} — été",
            create_time=now - timedelta(days=365) * n / videos,
            view_count=(n * 7919) % 100_000,
            like_count=(n * 31) % 5_000,
            comment_count=n % 300,
            share_count=n % 70,
            synced_at=now,
        )
        for n in range(videos)
    )


def _memory(field: str) -> int:
    """kB of VmRSS or VmHWM of this process (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def bench_analytics(account: TikTokAccount, runs: int) -> None:
    print(f"{'period':8} {'statements':>10} {'p50 ms':>8} {'max ms':>8}")
    for days in Period:
        times = []
        for _ in range(runs):
            begun = time.perf_counter()
            account_analytics(account=account, days=days, now=timezone.now())
            times.append((time.perf_counter() - begun) * 1000)
        with CaptureQueriesContext(connection) as queries:
            account_analytics(account=account, days=days, now=timezone.now())
        print(
            f"{days.value:>4} days {len(queries):>10} "
            f"{statistics.median(times):>8.2f} {max(times):>8.2f}"
        )
    if connection.vendor == "postgresql":
        with CaptureQueriesContext(connection) as queries:
            account_analytics(account=account, days=Period.MONTH, now=timezone.now())
        with connection.cursor() as cursor:
            for query in queries:
                cursor.execute("EXPLAIN (ANALYZE) " + query["sql"])
                plan = [row[0] for row in cursor.fetchall()]
                print("EXPLAIN " + query["sql"][:90] + " ...")
                print("\n".join(f"    {line}" for line in plan))


def bench_export(client: Client, account: TikTokAccount, points: int) -> None:
    until = timezone.now()
    since = until - STEP * (points - 1) - timedelta(seconds=1)
    url = f"/api/accounts/{account.pk}/history.csv"
    query = {"bucket": "raw", "since": since.isoformat(), "until": until.isoformat()}
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    before = _memory("VmRSS")
    begun = time.perf_counter()
    response = client.get(url, query)
    size = rows = 0
    for block in response.streaming_content:
        size += len(block)
        rows += block.count(b"\n")
    seconds = time.perf_counter() - begun
    peak = _memory("VmHWM")
    assert response.status_code == 200, response.status_code
    print(
        f"{rows - 1:>8} {size / 1e6:>7.2f} {seconds * 1000:>8.1f} {size / 1e6 / seconds:>7.1f} "
        f"{before / 1024:>10.1f} {peak / 1024:>9.1f} {(peak - before) / 1024:>8.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=int, default=1_000)
    parser.add_argument("--points", type=int, default=105_120)  # a year of 5-minute points
    parser.add_argument("--export-points", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    setup_test_environment(debug=False)
    settings.RATE_LIMITS = dict.fromkeys(settings.RATE_LIMITS, "100000000/m")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        user = get_user_model().objects.create_user("bench-analytics", password=None)
        account, other = TikTokAccountFactory(user=user), TikTokAccountFactory(user=user)
        started = time.perf_counter()
        for each in (account, other):
            seed(each, points=args.points, videos=args.videos)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        print(
            f"{connection.vendor}: {args.points} points and {args.videos} videos for the "
            f"account (+ as many for another) in {time.perf_counter() - started:.1f} s"
        )
        bench_analytics(account, args.runs)
        client = Client(headers=bearer_header(user))
        print(
            f"{'points':>8} {'MB':>7} {'ms':>8} {'MB/s':>7} "
            f"{'RSS MB':>10} {'peak MB':>9} {'growth':>8}"
        )
        for points in (min(10_000, args.export_points), args.export_points, args.export_points):
            bench_export(client, account, points)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
