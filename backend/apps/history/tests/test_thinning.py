"""Days older than HISTORY_RAW_RETENTION_DAYS keep the last point of each account only, and the
`day` buckets of the history API answer exactly as before."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.history import services as history_services
from apps.history.models import HistoryPoint, ThinnedDay
from apps.history.services import history_thin
from testing.factories import TikTokAccountFactory

pytestmark = pytest.mark.django_db

# Mid-morning: the cutoff (now - 90 days) falls inside a day, which stays raw as a whole.
NOW = datetime(2026, 6, 15, 10, 30, tzinfo=UTC)
CUTOFF_DAY = (NOW - timedelta(days=90)).date()  # 2026-03-17: the first day kept raw
HOURS = (0, 6, 12, 18, 23)


def _seed(account, *, days: range, hours: tuple[int, ...] = HOURS) -> None:
    """A point at each hour of each day (`days` counted back from NOW), counts all different;
    at 23:00 two points with one `at` (a batch sync writes one instant for many)."""
    points = []
    for days_ago in days:
        day = (NOW - timedelta(days=days_ago)).date()
        for hour in hours:
            at = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
            for _ in range(2 if hour == 23 else 1):
                n = len(points)
                points.append(
                    HistoryPoint(
                        account=account,
                        at=at,
                        follower_count=1000 + n,
                        following_count=n,
                        likes_count=3 * n,
                        video_count=n % 7,
                    )
                )
    HistoryPoint.objects.bulk_create(points)


def _by_day(account) -> dict[date, list[tuple[datetime, int]]]:
    days: dict[date, list[tuple[datetime, int]]] = {}
    for at, pk in HistoryPoint.objects.filter(account=account).values_list("at", "id"):
        days.setdefault(at.astimezone(UTC).date(), []).append((at, pk))
    return {day: sorted(points) for day, points in days.items()}


def test_days_older_than_the_raw_retention_keep_the_last_point_of_each_account(user) -> None:
    accounts = [TikTokAccountFactory(user=user) for _ in range(2)]
    for account in accounts:
        _seed(account, days=range(85, 96))
    before = {account.pk: _by_day(account) for account in accounts}

    deleted = history_thin(now=NOW)

    assert deleted == 2 * 5 * len(HOURS)  # 5 whole days before CUTOFF_DAY, 6 points -> 1 each
    for account in accounts:
        after = _by_day(account)
        assert after.keys() == before[account.pk].keys()
        for day, points in before[account.pk].items():
            # The last by (at, id): of the two 23:00 points, the one written last.
            expected = points if day >= CUTOFF_DAY else [points[-1]]
            assert after[day] == expected, day
    assert set(ThinnedDay.objects.values_list("day", flat=True)) == {
        CUTOFF_DAY - timedelta(days=n) for n in range(1, 6)
    }


@pytest.fixture
def at_now() -> Iterator[None]:
    """NOW, before the client's token is issued (a token from the future would be refused)."""
    with time_machine.travel(NOW, tick=False):
        yield


def test_day_buckets_answer_the_same_across_the_boundary_after_thinning(
    at_now, auth_client, user
) -> None:
    account = TikTokAccountFactory(user=user)
    _seed(account, days=range(80, 101))
    url = f"/api/accounts/{account.pk}/history"
    ranges = [
        # Across the boundary, whole days and bounds inside days.
        {"since": (NOW - timedelta(days=120)).isoformat(), "until": NOW.isoformat()},
        {"since": "2026-03-10T13:00:00Z", "until": "2026-03-20T05:00:00Z"},
        {},  # the default, the last 30 days
    ]
    answers = [auth_client.get(url, {**r, "bucket": "day"}).json() for r in ranges]
    raw_before = auth_client.get(url, {**ranges[0], "bucket": "raw"}).json()["points"]

    assert history_thin() > 0

    assert [auth_client.get(url, {**r, "bucket": "day"}).json() for r in ranges] == answers
    assert len(answers[0]["points"]) == 21
    raw_after = auth_client.get(url, {**ranges[0], "bucket": "raw"}).json()["points"]
    assert len(raw_after) < len(raw_before)


def test_a_second_run_reads_no_thinned_day_and_deletes_nothing(user) -> None:
    account = TikTokAccountFactory(user=user)
    _seed(account, days=range(88, 100))
    history_thin(now=NOW)
    kept = set(HistoryPoint.objects.values_list("pk", flat=True))

    with CaptureQueriesContext(connection) as queries:
        assert history_thin(now=NOW) == 0

    assert set(HistoryPoint.objects.values_list("pk", flat=True)) == kept
    # Old records pruned, the oldest point, the days done: no day read again.
    assert len(queries) == 3, [q["sql"] for q in queries.captured_queries]


def test_a_day_thinned_again_after_a_crash_midway_ends_the_same(user, monkeypatch) -> None:
    # A worker killed mid-day leaves the day unrecorded: the next run (or a second scheduler's,
    # at the same time) deletes what is left, never a day's last point.
    account = TikTokAccountFactory(user=user)
    _seed(account, days=range(91, 92))
    day = CUTOFF_DAY - timedelta(days=1)
    last = _by_day(account)[day][-1]
    monkeypatch.setattr(history_services, "THIN_BATCH_SIZE", 2)
    HistoryPoint.objects.filter(at__hour=6).delete()  # a first run got this far

    assert history_services._thin_day(day) == len(HOURS) - 1
    assert history_services._thin_day(day) == 0
    assert _by_day(account)[day] == [last]


def test_each_day_is_read_in_bounded_batches(user, monkeypatch) -> None:
    monkeypatch.setattr(history_services, "THIN_BATCH_SIZE", 4)
    for _ in range(3):
        _seed(TikTokAccountFactory(user=user), days=range(91, 92))  # 18 points on one day

    with CaptureQueriesContext(connection) as queries:
        assert history_thin(now=NOW) == 15

    sql = [q["sql"] for q in queries.captured_queries]
    batches = [s for s in sql if s.startswith("SELECT") and "LIMIT 4" in s]
    deletes = [s for s in sql if s.startswith("DELETE") and "history_historypoint" in s]
    assert len(batches) == 6  # 18 points by 4, then an empty batch
    assert len(deletes) == 5


def test_days_past_the_retention_are_left_to_it_and_their_records_dropped(user, settings) -> None:
    settings.HISTORY_RETENTION_DAYS = 93
    account = TikTokAccountFactory(user=user)
    _seed(account, days=range(91, 96))
    ThinnedDay.objects.create(day=date(2026, 1, 1))

    history_thin(now=NOW)

    points = {day: len(points) for day, points in _by_day(account).items()}
    # 2026-03-12 and -13 are older than 93 days: the daily retention deletes them, whole.
    assert points == {
        date(2026, 3, 12): 6,
        date(2026, 3, 13): 6,
        date(2026, 3, 14): 1,
        date(2026, 3, 15): 1,
        date(2026, 3, 16): 1,
    }
    assert not ThinnedDay.objects.filter(day=date(2026, 1, 1)).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN is a PostgreSQL check")
def test_the_thinning_reads_and_deletes_through_indexes(user, monkeypatch) -> None:
    # Batches small beside a day, as in production (5,000 points of a day of millions).
    monkeypatch.setattr(history_services, "THIN_BATCH_SIZE", 10)
    for _ in range(20):
        _seed(TikTokAccountFactory(user=user), days=range(85, 125), hours=tuple(range(23)))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE history_historypoint")
    with CaptureQueriesContext(connection) as queries:
        history_services._thin_day(CUTOFF_DAY - timedelta(days=3))
    batch, delete = (q["sql"] for q in queries.captured_queries[:2])

    plans = []
    for statement in (batch, delete):
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {statement}")
            plans.append("\n".join(line for (line,) in cursor.fetchall()))

    batch_plan, delete_plan = plans
    assert "Seq Scan" not in batch_plan + delete_plan, plans
    # The (at, id) index read in order from the cursor, stopped after a batch: no sort of the day.
    assert "Scan using history_at on" in batch_plan, batch_plan
    assert "Sort" not in batch_plan, batch_plan
    # The batch's rows by primary key; each one's "last point of the day" is a subquery (never a
    # join over the day) probing (account, at).
    assert "history_historypoint_pkey" in delete_plan, delete_plan
    assert "SubPlan" in delete_plan, delete_plan
    assert "Join" not in delete_plan, delete_plan
    assert "using history_account_at" in delete_plan, delete_plan
