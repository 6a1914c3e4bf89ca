"""The contract's "Analytics and export" end to end on PostgreSQL with a real Celery worker and
scheduler: the scheduled sync (in the worker) and the API's video sync record history from
what the fake TikTok serves, and every read of the section (video history, analytics, both
CSV exports) answers numbers computed here by hand from what the fake served.

Run in CI's PostgreSQL + Redis pass. The worker keeps the real clock, so, like the other
real-worker tests, this one does not hold under TEST_CLOCK.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.core.renderers import timestamp
from apps.history.models import HistoryPoint
from apps.tiktok_accounts.models import TikTokAccount
from apps.videos.models import TikTokVideo, VideoHistoryPoint
from apps.videos.selectors import EXPORT_FIELDS
from testing.fake_tiktok import FakeTikTok
from testing.workers import REAL_WORKER_MARKS, celery_processes, wait_for

pytestmark = [
    *REAL_WORKER_MARKS,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: the real-worker tests run in CI's PostgreSQL + Redis pass",
    ),
]
# The fake's video i: seed = i * 7919 % 10007, views 41 * seed, likes 3 * seed, comments
# seed % 500, shares seed % 90 (testing/fake_tiktok/content.py), written out by hand.
SERVED = {
    0: {"view_count": 0, "like_count": 0, "comment_count": 0, "share_count": 0},
    1: {"view_count": 324_679, "like_count": 23_757, "comment_count": 419, "share_count": 89},
    2: {"view_count": 239_071, "like_count": 17_493, "comment_count": 331, "share_count": 71},
    3: {"view_count": 153_463, "like_count": 11_229, "comment_count": 243, "share_count": 53},
}
SCHEDULER_ENV = {"SCHEDULED_SYNC_INTERVAL_SECONDS": "1", "SYNC_STALE_AFTER_SECONDS": "3600"}


def _counts(account: TikTokAccount) -> tuple[int, int]:
    return (
        HistoryPoint.objects.filter(account=account).count(),
        VideoHistoryPoint.objects.filter(video__account=account).count(),
    )


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_scheduled_and_api_syncs_feed_history_analytics_and_exports(
    auth_client, user, link_account, fake_tiktok: FakeTikTok
) -> None:
    identity = {"follower_count": 1_000, "following_count": 50, "likes_count": 5_000}
    account, person = link_account(
        user, identity={**identity, "video_count": 3}, last_synced_at=None
    )
    epoch = int((timezone.now() - timedelta(days=10)).timestamp())
    fake_tiktok.content.video_epoch = epoch  # video i created epoch + i hours: in the period
    served = {i: dict(counts) for i, counts in SERVED.items()}

    with celery_processes(fake_tiktok, workers=1, beats=1, env=SCHEDULER_ENV):
        # 1. The scheduled sync (never synced: stale) stores the profile and 3 videos.
        wait_for(lambda: _counts(account) == (1, 3), timeout=60, what="the first scheduled sync")
        # 2. The account grows, a video is added and video 2 is watched; stale again.
        person.follower_count, person.likes_count, person.video_count = 1_050, 5_200, 4
        fake_tiktok.content.add_views(person.open_id, 2, 500)
        served[2]["view_count"] += 500
        stale = timezone.now() - timedelta(hours=2)
        TikTokAccount.objects.filter(pk=account.pk).update(last_synced_at=stale)
        # A point for the new video 3 and the changed video 2, none for the unchanged ones.
        wait_for(lambda: _counts(account) == (2, 5), timeout=60, what="the second scheduled sync")

    # 3. A video sync through the API after video 0 was watched.
    fake_tiktok.content.add_views(person.open_id, 0, 70)
    served[0]["view_count"] += 70
    synced = auth_client.post(f"/api/accounts/{account.id}/videos/sync")
    assert synced.status_code == 200, synced.content
    assert synced.json()["synced"] == 4
    assert _counts(account) == (2, 6)

    listed = auth_client.get(f"/api/accounts/{account.id}/videos").json()["items"]
    by_index = {int(v["title"].removeprefix("Video ")): v for v in listed}
    assert [v["title"] for v in listed] == ["Video 3", "Video 2", "Video 1", "Video 0"]
    for index, video in by_index.items():
        assert {name: video[name] for name in served[index]} == served[index]

    # Video history: each video's points, oldest first, as the fake served them.
    expected_views = {0: [0, 70], 1: [324_679], 2: [239_071, 239_571], 3: [153_463]}
    for index, views in expected_views.items():
        response = auth_client.get(
            f"/api/accounts/{account.id}/videos/{by_index[index]['id']}/history", {"bucket": "raw"}
        )
        assert response.status_code == 200, response.content
        points = response.json()["points"]
        assert [p["view_count"] for p in points] == views
        assert points[-1] == {"at": points[-1]["at"], **served[index]}

    # Analytics over 30 days: history from the two scheduled syncs, the 4 videos of the period.
    body = auth_client.get(f"/api/accounts/{account.id}/analytics", {"days": 30}).json()
    assert body["followers"] == {"start": 1_000, "end": 1_050, "change": 50, "change_pct": 5.0}
    assert body["likes"] == {"start": 5_000, "end": 5_200, "change": 200, "change_pct": 4.0}
    assert body["videos"] == {"start": 3, "end": 4, "change": 1, "change_pct": 33.33}
    engaged = sum(c["like_count"] + c["comment_count"] + c["share_count"] for c in served.values())
    views = sum(c["view_count"] for c in served.values())
    assert (engaged, views) == (53_685, 717_783)
    assert body["engagement_rate"] == round(engaged / views * 100, 2) == 7.48
    assert [v["title"] for v in body["top_videos"]] == ["Video 1", "Video 2", "Video 3", "Video 0"]

    # history.csv (PostgreSQL's COPY path) holds exactly the JSON history's points.
    history = auth_client.get(f"/api/accounts/{account.id}/history", {"bucket": "raw"}).json()
    rows = _csv(auth_client.get(f"/api/accounts/{account.id}/history.csv", {"bucket": "raw"}))
    assert rows[0] == ["at", "follower_count", "following_count", "likes_count", "video_count"]
    assert rows[1:] == [[p["at"], *(str(p[c]) for c in rows[0][1:])] for p in history["points"]]
    assert [row[1:] for row in rows[1:]] == [
        ["1000", "50", "5000", "3"],
        ["1050", "50", "5200", "4"],
    ]

    # videos.csv: newest first, every column as the fake served it.
    rows = _csv(auth_client.get(f"/api/accounts/{account.id}/videos.csv"))
    assert rows[0] == list(EXPORT_FIELDS)
    expected = []
    for index in (3, 2, 1, 0):
        video = by_index[index]
        created = datetime.fromtimestamp(epoch + index * 3600, tz=UTC)
        counts = served[index]
        expected.append(
            [
                video["id"],
                video["video_id"],
                timestamp(created),
                f"Video {index}",
                str(5 + index),
                *(str(counts[name]) for name in SERVED[0]),
                f"https://fake-tiktok.invalid/@{person.open_id}/video/{video['video_id']}",
            ]
        )
    assert rows[1:] == expected
    assert TikTokVideo.objects.filter(account=account).count() == 4
