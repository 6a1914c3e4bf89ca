"""An account's analytics against a hand computation, its edge cases, and its query plans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.analytics.selectors import account_analytics
from apps.history.models import HistoryPoint
from apps.history.period import Change
from testing.factories import TikTokAccountFactory, TikTokVideoFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 31, 12, tzinfo=UTC)
SINCE = NOW - timedelta(days=30)  # 2026-03-01 12:00 UTC


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _point(account, at: datetime, followers: int, likes: int, videos: int) -> None:
    HistoryPoint.objects.create(
        account=account,
        at=at,
        follower_count=followers,
        following_count=7,
        likes_count=likes,
        video_count=videos,
    )


def _video(account, created: str, views: int, likes: int, comments: int, shares: int):
    return TikTokVideoFactory(
        account=account,
        create_time=_at(created),
        view_count=views,
        like_count=likes,
        comment_count=comments,
        share_count=shares,
    )


@pytest.fixture
def account(user):
    return TikTokAccountFactory(user=user)


def test_thirty_days_match_the_hand_computation(account) -> None:
    _point(account, _at("2026-02-20T00:00:00"), 900, 5_000, 10)
    _point(account, _at("2026-03-01T11:00:00"), 1_000, 8_000, 12)  # last at or before SINCE
    _point(account, _at("2026-03-01T13:00:00"), 1_100, 8_004, 12)
    _point(account, _at("2026-03-30T09:00:00"), 1_234, 8_010, 13)  # the latest
    in_period = [
        # created              views  likes comments shares
        _video(account, "2026-03-05T00:00:00", 1_000, 100, 20, 5),
        _video(account, "2026-03-20T00:00:00", 3_000, 200, 10, 15),
        _video(account, "2026-03-02T00:00:00", 500, 50, 5, 5),
        _video(account, "2026-03-31T11:00:00", 0, 0, 0, 0),
        _video(account, "2026-03-10T00:00:00", 2_000, 100, 10, 10),
        _video(account, "2026-03-01T12:00:00", 1_500, 30, 5, 0),  # at SINCE: in the period
    ]
    _video(account, "2026-03-01T11:59:59", 100_000, 9_999, 999, 99)  # before the period
    other = TikTokAccountFactory(workspace=account.workspace)  # its data counts nowhere here
    _point(other, _at("2026-03-30T00:00:00"), 1, 1, 1)
    _video(other, "2026-03-20T00:00:00", 9_000, 9_000, 9_000, 9_000)

    result = account_analytics(account=account, days=30, now=NOW)

    assert (result.since, result.until, result.days) == (SINCE, NOW, 30)
    # followers: 1,234 - 1,000 = 234;   234 / 1,000 * 100 = 23.4
    assert result.followers == Change(start=1_000, end=1_234, change=234, change_pct=23.4)
    # likes: 8,010 - 8,000 = 10;        10 / 8,000 * 100 = 0.125 -> 0.13 (half away from zero)
    assert result.likes == Change(start=8_000, end=8_010, change=10, change_pct=0.13)
    # videos: 13 - 12 = 1;              1 / 12 * 100 = 8.333... -> 8.33
    assert result.videos == Change(start=12, end=13, change=1, change_pct=8.33)
    # engagement over the six videos created in the period:
    #   likes 100 + 200 + 50 + 0 + 100 + 30 = 480; comments 20 + 10 + 5 + 0 + 10 + 5 = 50;
    #   shares 5 + 15 + 5 + 0 + 10 + 0 = 35; views 1,000 + 3,000 + 500 + 0 + 2,000 + 1,500
    #   = 8,000;  (480 + 50 + 35) / 8,000 * 100 = 565 / 80 = 7.0625 -> 7.06
    assert result.engagement_rate == 7.06
    # the five most viewed of the six: 3,000, 2,000, 1,500, 1,000, 500
    views = [video.view_count for video in result.top_videos]
    assert views == [3_000, 2_000, 1_500, 1_000, 500]
    assert {video.pk for video in result.top_videos} < {video.pk for video in in_period}


def test_a_drop_gives_a_negative_change_from_the_right_start(account) -> None:
    _point(account, _at("2026-03-20T00:00:00"), 800, 100, 3)
    _point(account, _at("2026-03-30T00:00:00"), 600, 100, 3)
    drop = Change(start=800, end=600, change=-200, change_pct=-25.0)  # -200 / 800 * 100

    # 7 days (since 2026-03-24 12:00): the last point at or before since starts.
    assert account_analytics(account=account, days=7, now=NOW).followers == drop
    # 30 days (since 2026-03-01 12:00): connected since, the first point after it starts.
    assert account_analytics(account=account, days=30, now=NOW).followers == drop


def test_a_point_exactly_at_since_starts_the_period(account) -> None:
    _point(account, SINCE - timedelta(microseconds=1), 10, 10, 10)
    _point(account, SINCE, 20, 20, 20)
    _point(account, NOW, 25, 25, 25)

    result = account_analytics(account=account, days=30, now=NOW)

    assert result.followers == Change(start=20, end=25, change=5, change_pct=25.0)


def test_no_history_and_no_views_give_nulls(account) -> None:
    _video(account, "2026-03-20T00:00:00", 0, 5, 0, 0)

    result = account_analytics(account=account, days=90, now=NOW)

    empty = Change(start=None, end=None, change=None, change_pct=None)
    assert (result.followers, result.likes, result.videos) == (empty, empty, empty)
    assert result.engagement_rate is None
    assert [video.view_count for video in result.top_videos] == [0]


def test_a_start_of_zero_has_a_change_but_no_percentage(account) -> None:
    _point(account, _at("2026-03-10T00:00:00"), 0, 0, 0)
    _point(account, _at("2026-03-20T00:00:00"), 50, 0, 2)

    result = account_analytics(account=account, days=30, now=NOW)

    assert result.followers == Change(start=0, end=50, change=50, change_pct=None)
    assert result.likes == Change(start=0, end=0, change=0, change_pct=None)


def test_a_bounded_number_of_statements_whatever_the_size(account) -> None:
    counts = []
    for size in (1, 30):
        for n in range(size):
            _point(account, SINCE - timedelta(hours=n), n, n, n)
            _video(account, "2026-03-20T00:00:00", n, n, n, n)
        with CaptureQueriesContext(connection) as queries:
            account_analytics(account=account, days=30, now=NOW)
        counts.append(len(queries))

    assert counts == [4, 4]  # end point, start point, video totals, top videos


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN is a PostgreSQL check")
def test_every_analytics_statement_reads_through_an_index(account) -> None:
    """Seq scans switched off: a statement with no index to use would still show `Seq Scan`."""
    _point(account, SINCE - timedelta(days=1), 1, 1, 1)
    _point(account, SINCE + timedelta(days=1), 2, 2, 2)  # start before SINCE and after
    _video(account, "2026-03-20T00:00:00", 10, 1, 1, 1)
    with CaptureQueriesContext(connection) as queries:
        account_analytics(account=account, days=30, now=NOW)
        account_analytics(account=account, days=7, now=NOW)  # start: the first point after
    statements = {q["sql"] for q in queries}

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in statements:
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Seq Scan" not in plan, plan
            assert "Index" in plan, plan
    names = " ".join(statements)
    assert "history_historypoint" in names
    assert "videos_tiktokvideo" in names
