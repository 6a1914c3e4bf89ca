"""A video sync's history points: one per video whose counts changed, a bounded number of
statements per sync, and the account history's retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.audit.services import SYSTEM
from apps.videos.models import TikTokVideo, VideoHistoryPoint
from apps.videos.services import account_videos_sync, video_history_prune
from testing.factories import TikTokVideoFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _points(account) -> list[tuple[str, datetime, int]]:
    """(TikTok video id, at, views) of every point of the account's videos, oldest first."""
    return list(
        VideoHistoryPoint.objects.filter(video__account=account)
        .order_by("at", "video__video_id")
        .values_list("video__video_id", "at", "view_count")
    )


def _sync_at(account, moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        account_videos_sync(account=account, meta=SYSTEM)


def test_first_sync_records_a_point_per_video_then_only_videos_whose_counts_changed(
    user, link_account, fake_tiktok
) -> None:
    account, person = link_account(user)
    fake_tiktok.content.set_videos(person.open_id, 3)

    _sync_at(account, T0)
    _sync_at(account, T0 + timedelta(hours=1))  # nothing changed at TikTok: no point
    fake_tiktok.content.add_views(person.open_id, 1, 500)
    _sync_at(account, T0 + timedelta(hours=2))

    videos = {v.video_id: v for v in TikTokVideo.objects.filter(account=account)}
    first = sorted(videos.values(), key=lambda v: v.create_time)  # index 0 = oldest
    points = _points(account)
    assert len(points) == 4
    assert {(video_id, at) for video_id, at, _ in points[:3]} == {(v, T0) for v in videos}
    changed = first[1]
    assert points[3] == (changed.video_id, T0 + timedelta(hours=2), changed.view_count)
    assert [p[2] for p in points if p[0] == changed.video_id] == [
        changed.view_count - 500,
        changed.view_count,
    ]


def test_a_video_whose_points_were_all_pruned_gets_a_new_one_at_the_next_sync(
    user, link_account, fake_tiktok
) -> None:
    account, person = link_account(user)
    fake_tiktok.content.set_videos(person.open_id, 2)
    _sync_at(account, T0)
    VideoHistoryPoint.objects.filter(video__account=account).delete()

    _sync_at(account, T0 + timedelta(hours=1))

    assert len(_points(account)) == 2  # compared with the latest point, not the video row


@pytest.mark.parametrize("pages", [1, 3])
def test_a_sync_costs_three_statements_per_page_and_one_when_nothing_changed(
    user, link_account, fake_tiktok, pages
) -> None:
    account, person = link_account(user)
    fake_tiktok.content.set_videos(person.open_id, 20 * pages)

    def history_statements() -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            account_videos_sync(account=account, meta=SYSTEM)
        return [q["sql"] for q in queries if '"videos_videohistorypoint"' in q["sql"]]

    first = history_statements()
    second = history_statements()

    # Per page: one SELECT of the page's videos with their latest points, one INSERT.
    assert [sql.split()[0] for sql in first] == ["SELECT", "INSERT"] * pages
    assert [sql.split()[0] for sql in second] == ["SELECT"] * pages
    assert VideoHistoryPoint.objects.filter(video__account=account).count() == 20 * pages


def test_prune_deletes_video_points_older_than_the_history_retention(
    user, settings, monkeypatch
) -> None:
    settings.HISTORY_RETENTION_DAYS = 30
    monkeypatch.setattr("apps.history.services.PRUNE_BATCH_SIZE", 2)
    video = TikTokVideoFactory()
    counts = {"view_count": 1, "like_count": 1, "comment_count": 1, "share_count": 1}
    ages = [31, 31, 31, 30, 29]  # days before T0; exactly 30 days old is kept
    for days in ages:
        VideoHistoryPoint.objects.create(video=video, at=T0 - timedelta(days=days), **counts)

    assert video_history_prune(now=T0) == 3
    assert sorted((T0 - p.at).days for p in VideoHistoryPoint.objects.all()) == [29, 30]
    assert video_history_prune(now=T0) == 0
