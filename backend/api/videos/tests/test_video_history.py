"""GET /api/accounts/{id}/videos/{video_id}/history: account history's ranges and buckets."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from apps.videos.models import VideoHistoryPoint
from testing.factories import TikTokAccountFactory, TikTokVideoFactory
from testing.http import assert_error, assert_validation_error

pytestmark = pytest.mark.django_db


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


MOMENTS = [
    _at("2026-03-01T22:59:59.999999"),  # 1
    _at("2026-03-01T23:30:00"),  # 2
    _at("2026-03-01T23:59:59.999999"),  # 3: last of 1 March
    _at("2026-03-02T00:00:00"),  # 4: first of 2 March, last of its hour
    _at("2026-03-04T12:00:00"),  # 5
]
RANGE = {"since": "2026-03-01T00:00:00Z", "until": "2026-03-05T00:00:00Z"}


@pytest.fixture
def video(user):
    video = TikTokVideoFactory(account=TikTokAccountFactory(user=user))
    VideoHistoryPoint.objects.bulk_create(
        VideoHistoryPoint(
            video=video, at=at, view_count=n, like_count=10 + n, comment_count=n, share_count=0
        )
        for n, at in reversed(list(enumerate(MOMENTS, start=1)))
    )
    return video


def _get(client, account_id, video_id, **params):
    return client.get(f"/api/accounts/{account_id}/videos/{video_id}/history", params)


@pytest.mark.parametrize(
    ("bucket", "views"), [("raw", [1, 2, 3, 4, 5]), ("hour", [1, 3, 4, 5]), ("day", [3, 4, 5])]
)
def test_buckets_keep_the_last_point_of_each_utc_hour_or_day(
    auth_client, video, bucket, views
) -> None:
    response = _get(auth_client, video.account_id, video.pk, bucket=bucket, **RANGE)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["video_id"], body["bucket"]) == (str(video.pk), bucket)
    assert [p["view_count"] for p in body["points"]] == views
    assert body["points"][0] == {
        "at": MOMENTS[views[0] - 1].isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "view_count": views[0],
        "like_count": 10 + views[0],
        "comment_count": views[0],
        "share_count": 0,
    }


def test_the_range_bounds_are_inclusive(auth_client, video) -> None:
    response = _get(
        auth_client, video.account_id, video.pk, bucket="raw",
        since="2026-03-01T23:30:00Z", until="2026-03-02T00:00:00Z",
    )  # fmt: skip

    assert [p["view_count"] for p in response.json()["points"]] == [2, 3, 4]


def test_a_video_of_another_account_is_the_accounts_404(auth_client, user, video) -> None:
    mine_too = TikTokAccountFactory(user=user)
    for account_id, video_id in (
        (mine_too.pk, video.pk),  # my video, my other account
        (video.account_id, uuid.uuid4()),
        (video.account_id, TikTokVideoFactory().pk),  # another user's video
    ):
        assert_error(_get(auth_client, account_id, video_id), 404, "ACCOUNT_NOT_FOUND")


def test_range_errors_are_those_of_account_history(auth_client, video) -> None:
    for params in (
        {"since": "2026-03-05T00:00:00Z", "until": "2026-03-01T00:00:00Z"},
        {"since": "2025-01-01T00:00:00Z", "until": "2026-03-01T00:00:00Z"},
        {"bucket": "minute"},
    ):
        assert_validation_error(_get(auth_client, video.account_id, video.pk, **params))
