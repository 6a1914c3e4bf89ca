"""Benchmark of the accounts API on whatever DATABASE_URL (and REDIS_URL) point at.

    .venv/bin/python bench/bench_accounts.py [--accounts 10000] [--requests 500]

Creates a throw-away test database (Django's test-database machinery: `test_<name>` on
PostgreSQL, a separate SQLite file), seeds N accounts for one user plus 9 x N for another,
then prints:
- list page latency p50/p99 in-process through the full middleware + JWT stack (first page,
  a filtered page, and a page deep into the cursor walk) and SQL queries per request;
- batch sync wall time for 50 accounts against the fake TikTok upstream at 200 ms latency,
  next to the ideal ceil(50 / workers) x 0.2 s and the sequential 50 x 0.2 s.
"""

from __future__ import annotations

import argparse
import logging
import math
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
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

from apps.audit.services import RequestMeta  # noqa: E402
from apps.tiktok_accounts import services  # noqa: E402
from apps.tiktok_accounts.list_page import account_list_page  # noqa: E402
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount  # noqa: E402
from apps.tiktok_accounts.models.account import search_key  # noqa: E402
from apps.workspaces.access import WorkspaceAccess  # noqa: E402
from apps.workspaces.models import Role  # noqa: E402
from apps.workspaces.personal import personal_workspace_id  # noqa: E402
from testing.fake_tiktok import FakeTikTok  # noqa: E402

BATCH_SIZE = 50
BATCH_LATENCY = 0.2


def seed(user_id: int, count: int, *, prefix: str) -> None:
    """Bulk-inserts `count` accounts with distinct creation times (tokens encrypted as usual)."""
    now = timezone.now()
    statuses = [AccountStatus.ACTIVE] * 8 + [AccountStatus.TOKEN_EXPIRED, AccountStatus.ERROR]
    rows = []
    for number in range(count):
        username = f"{prefix}_{number:06d}"
        display_name = f"Creator {number}"
        rows.append(
            TikTokAccount(
                workspace_id=personal_workspace_id(user_id),
                open_id=f"{prefix}-open-{number:06d}",
                username=username,
                display_name=display_name,
                search_text=search_key(username, display_name),
                follower_count=number * 7,
                likes_count=number * 11,
                video_count=number % 300,
                status=statuses[number % len(statuses)],
                access_token=f"access-{number}",
                refresh_token=f"refresh-{number}",
                access_token_expires_at=now + timedelta(days=1),
                refresh_token_expires_at=now + timedelta(days=365),
                created_at=now - timedelta(seconds=count - number),
            )
        )
    TikTokAccount.objects.bulk_create(rows, batch_size=1000)


def timed_get(client: Client, url: str, rounds: int) -> tuple[list[float], int, dict]:
    """Latencies in ms of `rounds` GETs, the SQL queries of one, and the last body."""
    with CaptureQueriesContext(connection) as queries:
        body = client.get(url).json()
    query_count = len(queries)  # read now: the next request start clears the query log
    latencies = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(url)
        latencies.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content
    return latencies, query_count, body


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def bench_list(user_id: int, accounts: int, rounds: int) -> None:
    user = get_user_model().objects.get(pk=user_id)
    client = Client(headers={"Authorization": f"Bearer {AccessToken.for_user(user)}"})
    first = "/api/accounts?limit=20"
    _, _, page = timed_get(client, first, 1)
    cursor = page["next_cursor"]
    depth = max(1, min(50, accounts // 20 - 1))
    for _ in range(depth - 1):
        cursor = client.get(f"{first}&cursor={cursor}").json()["next_cursor"]
    cases = {
        "first page, limit 20": first,
        "first page, limit 50": "/api/accounts?limit=50",
        f"page {depth + 1}, limit 20": f"{first}&cursor={cursor}",
        "status=active, limit 20": f"{first}&status=active",
        "search='creator 12', limit 20": f"{first}&search=creator%2012",
        "summary (first computed, then cached)": "/api/accounts/stats/summary",
    }
    print(f"{'request':<40}{'p50 ms':>9}{'p99 ms':>9}{'queries':>9}")
    for name, url in cases.items():
        latencies, queries, _ = timed_get(client, url, rounds)
        p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
        print(f"{name:<40}{p50:>9.2f}{p99:>9.2f}{queries:>9}")


def explain_list(user_id: int) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of a first list page's statement (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return
    access = WorkspaceAccess(personal_workspace_id(user_id), user_id, Role.OWNER)
    with CaptureQueriesContext(connection) as queries:
        account_list_page(access=access, limit=20)
    (query,) = queries.captured_queries  # the page, its total as a scalar subquery
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
        plan = "\n".join(f"    {line}" for (line,) in cursor.fetchall())
    print(f"EXPLAIN (ANALYZE, BUFFERS) of the list's statement:\n{plan}")


def bench_batch() -> None:
    fake = FakeTikTok(
        client_key=settings.TIKTOK_CLIENT_KEY, client_secret=settings.TIKTOK_CLIENT_SECRET
    )
    base_url = fake.start()
    settings.TIKTOK_API_BASE_URL = base_url
    settings.TIKTOK_AUTHORIZE_URL = f"{base_url}/v2/auth/authorize/"
    owner = get_user_model().objects.create_user("batch-owner", password=None)
    ids = []
    for identity in fake.identities[:BATCH_SIZE]:
        workspace_id = personal_workspace_id(owner.pk)
        _, state = services.account_connect_start(user_id=owner.pk, workspace_id=workspace_id)
        account, _ = services.account_connect_complete(
            workspace_id=workspace_id,
            code=fake.issue_code(identity.open_id),
            state=state,
            meta=RequestMeta(user_id=owner.pk),
        )
        ids.append(account.id)
    fake.reset()
    fake.set_latency(BATCH_LATENCY)
    workers = settings.BATCH_SYNC_MAX_WORKERS
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        succeeded, failed = services.account_batch_sync(
            workspace_id=personal_workspace_id(owner.pk), account_ids=ids, meta=RequestMeta()
        )
    elapsed = time.perf_counter() - started
    fake.stop()
    ideal = math.ceil(BATCH_SIZE / workers) * BATCH_LATENCY
    print(
        f"batch sync of {BATCH_SIZE} accounts at {BATCH_LATENCY * 1000:.0f} ms TikTok latency, "
        f"{workers} workers: {elapsed:.2f} s (ideal {ideal:.2f} s, sequential "
        f"{BATCH_SIZE * BATCH_LATENCY:.2f} s); {len(succeeded)} succeeded, {len(failed)} failed; "
        f"{len(queries)} SQL queries; max {fake.max_in_flight} TikTok requests in flight"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument(
        "--other-accounts", type=int, default=None, help="other users' accounts (default 9 x N)"
    )
    args = parser.parse_args()

    settings.RATE_LIMITS = {scope: "1000000/m" for scope in settings.RATE_LIMITS}
    logging.getLogger("apps.request").setLevel(logging.WARNING)
    # Query logging on every request (DEBUG) would distort the timings.
    setup_test_environment(debug=False)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        owner = get_user_model().objects.create_user("bench-owner", password=None)
        others = get_user_model().objects.create_user("bench-other", password=None)
        started = time.perf_counter()
        seed(owner.pk, args.accounts, prefix="own")
        other_count = 9 * args.accounts if args.other_accounts is None else args.other_accounts
        seed(others.pk, other_count, prefix="other")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        print(
            f"{connection.vendor}: seeded {args.accounts} accounts for the user + {other_count} "
            f"for another in {time.perf_counter() - started:.1f} s; cache: "
            f"{settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}"
        )
        bench_list(owner.pk, args.accounts, args.requests)
        explain_list(owner.pk)
        bench_batch()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
