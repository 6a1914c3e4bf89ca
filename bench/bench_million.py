"""A million accounts on PostgreSQL: reads, periodic scans and sync-all scheduling, at 10,000
accounts and again at 1,000,000 (issue 23).

    .venv/bin/python bench/bench_million.py                  # ~5 minutes on 2 cores
    .venv/bin/python bench/bench_million.py --accounts 100000 --repeat 10   # a quick look

Environment: PG_URL (default postgres://postgres@127.0.0.1:5432), BENCH_DB (default
tta_bench_million: created, and dropped at the end unless --keep).

Shape: one agency workspace (9,010 accounts at 10k, 100,090 at 1M) and personal workspaces
of 90 accounts (11, then 9,999: 10,000 users), ~3% soft-deleted, 10% not active; a year of
history (every 6 hours for 90 days, daily before) for 100, then 1,000 accounts; 10 published
posts for each of those. Seeding is SQL (bench/million_seed.py). The same reads run at both
sizes, so their ratio is the cost of the million: p50 of --repeat runs, in-process, the
statement times (database time, the round trip included) summed per call.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "backend"))
sys.path.insert(0, str(ROOT / "bench"))
PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
BENCH_DB = os.environ.get("BENCH_DB", "tta_bench_million")
os.environ["DATABASE_URL"] = f"{PG_URL}/{BENCH_DB}"
os.environ["REDIS_URL"] = ""  # reads measured uncached; the budget is not used
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402
import psycopg  # noqa: E402

with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as admin:
    admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')
    admin.execute(f'CREATE DATABASE "{BENCH_DB}"')

django.setup()

from datetime import timedelta  # noqa: E402

import million_seed as seed  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from apps.history.selectors import Bucket, history_points  # noqa: E402
from apps.jobs import services as job_services  # noqa: E402
from apps.jobs.models import Job, JobChunk  # noqa: E402
from apps.posts.polling import posts_poll_due_ids  # noqa: E402
from apps.posts.publisher import posts_due_ids  # noqa: E402
from apps.scheduling.scheduled_sync import stale_id_batches  # noqa: E402
from apps.scheduling.token_refresh import refresh_due_id_batches  # noqa: E402
from apps.tiktok_accounts.list_page import account_list_page  # noqa: E402
from apps.tiktok_accounts.models import TikTokAccount  # noqa: E402
from apps.tiktok_accounts.selectors import account_summary  # noqa: E402
from apps.tiktok_accounts.services.totals import account_totals_compact  # noqa: E402
from apps.workspaces.access import WorkspaceAccess  # noqa: E402
from apps.workspaces.models import Role, Workspace  # noqa: E402

AGENCY_SMALL, AGENCY_BIG, PER_USER = 9_010, 100_090, 90
READ_RATIO_TARGET = 1.3
SCAN_BATCH_TARGET_MS = 50.0
# The TikTok budget's calls a minute (TIKTOK_RATE_LIMIT_PER_MINUTE): at most as many syncs.
SYNCS_PER_MINUTE = 600


class StatementClock:
    """Sums the time of each statement run while installed (connection.execute_wrapper)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):  # noqa: ANN001, ANN204
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start


def db_ms(work: Callable[[], object]) -> tuple[float, object]:
    clock = StatementClock()
    with connection.execute_wrapper(clock):
        result = work()
    return clock.seconds * 1000, result


def p50(work: Callable[[], object], repeat: int) -> float:
    work()  # warm: plans, caches
    return statistics.median(db_ms(work)[0] for _ in range(repeat))


def deep_cursor(access: WorkspaceAccess, depth: int) -> str | None:
    """The cursor `depth` rows into the list (walked once, 100 a page)."""
    cursor = None
    for _ in range(depth // 100):
        cursor = account_list_page(access=access, limit=100, cursor=cursor).next_cursor
    return cursor


def reads(
    agency: WorkspaceAccess, personal: WorkspaceAccess, sample: uuid.UUID, repeat: int
) -> dict:
    now = timezone.now()
    deep = deep_cursor(agency, 5000)
    deep_personal = (
        deep_cursor(personal, 0) or account_list_page(access=personal, limit=60).next_cursor
    )
    return {
        "list first page (agency)": p50(lambda: account_list_page(access=agency, limit=20), repeat),
        "list deep page (agency, row 5,000)": p50(
            lambda: account_list_page(access=agency, limit=20, cursor=deep), repeat
        ),
        "list first page (90 accounts)": p50(
            lambda: account_list_page(access=personal, limit=20), repeat
        ),
        "list deep page (90 accounts, row 60)": p50(
            lambda: account_list_page(access=personal, limit=20, cursor=deep_personal), repeat
        ),
        "summary (90 accounts)": p50(lambda: account_summary(workspace_id=personal.id), repeat),
        "summary (agency)": p50(lambda: account_summary(workspace_id=agency.id), repeat),
        "history 30 days, daily": p50(
            lambda: list(
                history_points(
                    account_id=sample, since=now - timedelta(days=30), until=now, bucket=Bucket.DAY
                )
            ),
            repeat,
        ),
        "history a year, daily": p50(
            lambda: list(
                history_points(
                    account_id=sample, since=now - timedelta(days=365), until=now, bucket=Bucket.DAY
                )
            ),
            repeat,
        ),
        "history 7 days, raw": p50(
            lambda: list(
                history_points(
                    account_id=sample, since=now - timedelta(days=7), until=now, bucket=Bucket.RAW
                )
            ),
            repeat,
        ),
        "posts due to send": p50(posts_due_ids, repeat),
        "posts due to poll": p50(posts_poll_due_ids, repeat),
    }


def scan(walk: Callable[[], object]) -> dict:
    """Every batch of one periodic scan: how many, and each one's database time."""
    batches, times, clock = 0, [], StatementClock()
    ids = 0
    with connection.execute_wrapper(clock):
        for batch in walk():
            times.append(clock.seconds * 1000)
            clock.seconds = 0.0
            batches, ids = batches + 1, ids + len(batch)
    return {"ids": ids, "batches": batches, "p50": statistics.median(times), "max": max(times)}


def sync_all(agency: WorkspaceAccess) -> dict:
    """job_start_run on the agency workspace: its accounts read and split into chunks (the
    messages to the broker counted, not sent)."""
    sent: list = []
    job_services._enqueue = lambda name, *args, countdown=None: sent.append(name)
    job = Job.objects.create(workspace_id=agency.id, user_id=agency.user_id)
    ms, _ = db_ms(lambda: job_services.job_start_run(job_id=job.id))
    chunks = JobChunk.objects.filter(job=job).count()
    job.delete()
    return {"ms": ms, "chunks": chunks, "messages": len(sent)}


def measure(
    label: str,
    agency: WorkspaceAccess,
    personal: WorkspaceAccess,
    sample: uuid.UUID,
    repeat: int,
) -> dict:
    seed.vacuum_analyze()
    total = TikTokAccount.all_objects.count()
    print(f"measuring at {total:,} accounts ({label})", flush=True)
    result = {"accounts": total, "reads": reads(agency, personal, sample, repeat)}
    result["token scan"] = scan(refresh_due_id_batches)
    result["stale scan"] = scan(stale_id_batches)
    result["sync-all"] = sync_all(agency)
    return result


def kept_totals_exact() -> bool:
    """Per workspace, LiveAccountCount and the sum of the totals parts equal an aggregate of
    the live rows (a workspace with parts summing to zero and no live row counts as equal)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM (
                   SELECT workspace_id, live FROM tiktok_accounts_liveaccountcount WHERE live <> 0
               ) c FULL JOIN (
                   SELECT workspace_id, sum(active) AS active, sum(followers) AS followers,
                       sum(videos) AS videos, sum(likes) AS likes
                   FROM tiktok_accounts_accounttotalspart GROUP BY workspace_id
                   HAVING (sum(active), sum(followers), sum(videos), sum(likes)) <> (0, 0, 0, 0)
               ) p USING (workspace_id) FULL JOIN (
                   SELECT workspace_id, count(*) AS live,
                       count(*) FILTER (WHERE status = 'active') AS active,
                       sum(follower_count) AS followers, sum(video_count) AS videos,
                       sum(likes_count) AS likes
                   FROM tiktok_accounts_tiktokaccount WHERE NOT is_deleted GROUP BY workspace_id
               ) r USING (workspace_id)
               WHERE c.live IS DISTINCT FROM r.live
                   OR (p.active, p.followers, p.videos, p.likes)
                       IS DISTINCT FROM (r.active, r.followers, r.videos, r.likes)"""
        )
        return cursor.fetchone()[0] == 0


def compaction(agency: WorkspaceAccess, repeat: int, writes: int = SYNCS_PER_MINUTE) -> dict:
    """A minute of syncs at the TikTok budget (`writes` accounts' counts changed, so as many
    parts), the agency's summary with those parts, then one compaction run."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.23)")
        cursor.execute(
            """UPDATE tiktok_accounts_tiktokaccount SET follower_count = follower_count + 1
               WHERE id IN (SELECT id FROM tiktok_accounts_tiktokaccount WHERE NOT is_deleted
                            ORDER BY random() LIMIT %s)""",
            [writes],
        )
        cursor.execute(
            "SELECT count(*) FROM tiktok_accounts_accounttotalspart WHERE workspace_id = %s",
            [agency.id],
        )
        agency_parts = cursor.fetchone()[0]
    summary = p50(lambda: account_summary(workspace_id=agency.id), repeat)
    ms, workspaces = db_ms(account_totals_compact)
    return {
        "parts": writes,
        "agency parts": agency_parts,
        "summary": summary,
        "ms": ms,
        "workspaces": workspaces,
    }


def report(small: dict, big: dict) -> None:
    print(f"\n{small['accounts']:,} -> {big['accounts']:,} accounts: p50 database ms per call")
    print("| read | 10k p50 ms | 1M p50 ms | ratio | target | judged |")
    print("|---|---|---|---|---|---|")
    for name, before in small["reads"].items():
        after = big["reads"][name]
        ratio = after / before
        judged = "met" if ratio <= READ_RATIO_TARGET else "SHORT"
        print(f"| {name} | {before:.2f} | {after:.2f} | {ratio:.2f}x | <= 1.3x | {judged} |")
    print("\n| periodic scan at 1M | due ids | batches | p50 ms/batch | max ms/batch | judged |")
    print("|---|---|---|---|---|---|")
    for name in ("token scan", "stale scan"):
        s = big[name]
        judged = "met" if s["max"] < SCAN_BATCH_TARGET_MS else "SHORT"
        print(
            f"| {name} | {s['ids']:,} | {s['batches']} | {s['p50']:.1f} | {s['max']:.1f} "
            f"| < 50 ms: {judged} |"
        )
    c = big["compaction"]
    print("\n| totals at 1M, a minute of syncs at the budget | value |")
    print("|---|---|")
    print(f"| parts inserted (accounts synced) | {c['parts']} |")
    print(f"| the agency's parts then (its one, and its accounts' synced) | {c['agency parts']} |")
    print(f"| summary (agency) p50 ms before the compaction | {c['summary']:.2f} |")
    print(f"| compaction run: workspaces, database ms | {c['workspaces']}, {c['ms']:.0f} |")
    print("\n| sync-all scheduling (job_start_run) | accounts | chunks | database ms |")
    print("|---|---|---|---|")
    for label, result in (("10k", small), ("1M", big)):
        s = result["sync-all"]
        accounts = f"{s['chunks'] * 50:,}"
        print(f"| agency workspace at {label} | ~{accounts} | {s['chunks']} | {s['ms']:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()
    big_agency = AGENCY_BIG - (1_000_000 - args.accounts) // 10
    users_big = (args.accounts - big_agency) // PER_USER + 1
    started = time.monotonic()
    try:
        call_command("migrate", verbosity=0)
        workspaces = seed.users_seed(1, 12)
        agency_ws, personal_ws = workspaces[0], workspaces[1]
        owner = Workspace.objects.get(id=agency_ws).personal_for_id
        agency = WorkspaceAccess(id=agency_ws, user_id=owner, role=Role.OWNER)
        personal = WorkspaceAccess(
            id=personal_ws,
            user_id=Workspace.objects.get(id=personal_ws).personal_for_id,
            role=Role.OWNER,
        )
        plan = [(agency_ws, AGENCY_SMALL)] + [(ws, PER_USER) for ws in workspaces[1:]]
        number = seed.accounts_seed(plan, first_number=1)
        ids = list(TikTokAccount.objects.order_by("-created_at").values_list("id", flat=True))
        sample_small = ids[:: max(1, len(ids) // 100)][:100]
        seed.history_seed(sample_small)
        seed.posts_seed(sample_small, per_account=10, due=50)
        print(f"seeded 10k in {time.monotonic() - started:.0f} s", flush=True)
        small = measure("10k", agency, personal, sample_small[0], args.repeat)

        more = seed.users_seed(13, users_big)
        plan = [(agency_ws, big_agency - AGENCY_SMALL)] + [(ws, PER_USER) for ws in more]
        seed.accounts_seed(plan, first_number=number)
        extra = list(
            TikTokAccount.objects.order_by("?")
            .exclude(id__in=sample_small)
            .values_list("id", flat=True)[:900]
        )
        seed.history_seed(extra)
        seed.posts_seed(extra, per_account=10, due=0)
        print(f"seeded 1M in {time.monotonic() - started:.0f} s", flush=True)
        big = measure("1M", agency, personal, sample_small[0], args.repeat)
        big["compaction"] = compaction(agency, args.repeat)
        print(
            f"live counts and totals parts exact after seeding and compaction: "
            f"{kept_totals_exact()}"
        )
        report(small, big)
        print(f"\ntotal {time.monotonic() - started:.0f} s")
    finally:
        connection.close()
        if not args.keep:
            with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


if __name__ == "__main__":
    main()
