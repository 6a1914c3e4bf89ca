"""Benchmark of the history query on whatever DATABASE_URL points at.

    .venv/bin/python bench/bench_history.py [--points 100000] [--runs 20]

Creates a throw-away test database (as bench_accounts.py does), gives one account a year of
points at 5-minute syncs (100,000 by default) and another account the same (so the index has
to pick one account's rows), then times the selector for each bucket over the default 30 days
and over the longest range (366 days), and prints EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL
(the query plan on SQLite).
"""

from __future__ import annotations

import argparse
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

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from apps.history.models import HistoryPoint  # noqa: E402
from apps.history.selectors import Bucket, history_points  # noqa: E402
from apps.tiktok_accounts.models import TikTokAccount  # noqa: E402
from testing.factories import TikTokAccountFactory  # noqa: E402

STEP = timedelta(minutes=5)


def seed(account: TikTokAccount, count: int) -> None:
    now = timezone.now()
    for start in range(0, count, 10_000):
        HistoryPoint.objects.bulk_create(
            HistoryPoint(
                account=account,
                at=now - STEP * n,
                follower_count=1_000_000 - n,
                following_count=300,
                likes_count=9_000_000 - n,
                video_count=400 - n // 1000,
            )
            for n in range(start, min(start + 10_000, count))
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    setup_test_environment(debug=False)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        user = get_user_model().objects.create_user("bench-history", password=None)
        account, other = TikTokAccountFactory(user=user), TikTokAccountFactory(user=user)
        started = time.perf_counter()
        seed(account, args.points)
        seed(other, args.points)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        print(
            f"{connection.vendor}: {args.points} points for the account (+ as many for another) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        now = timezone.now()
        print(f"{'range':10} {'bucket':6} {'points':>7} {'p50 ms':>8} {'max ms':>8}")
        for days in (30, 366):
            since = now - timedelta(days=days)
            for bucket in Bucket:
                times, count = [], 0
                for _ in range(args.runs):
                    begun = time.perf_counter()
                    count = len(
                        list(
                            history_points(
                                account_id=account.pk, since=since, until=now, bucket=bucket
                            )
                        )
                    )
                    times.append((time.perf_counter() - begun) * 1000)
                print(
                    f"{days:>4} days  {bucket.value:6} {count:>7} "
                    f"{statistics.median(times):>8.2f} {max(times):>8.2f}"
                )
        since = now - timedelta(days=366)
        for bucket in (Bucket.DAY, Bucket.RAW):
            query = history_points(account_id=account.pk, since=since, until=now, bucket=bucket)
            # QuerySet.explain() misplaces EXPLAIN around a window filter's outer query.
            sql, params = query.query.sql_with_params()
            postgres = connection.vendor == "postgresql"
            explain = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
            with connection.cursor() as cursor:
                cursor.execute(explain + sql, params)
                plan = [" ".join(str(col) for col in row) for row in cursor.fetchall()]
            print(f"EXPLAIN of bucket={bucket.value} over 366 days:")
            print("\n".join(f"    {line}" for line in plan))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
