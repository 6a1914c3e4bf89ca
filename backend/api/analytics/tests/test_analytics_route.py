"""GET /api/accounts/{id}/analytics: the contract's shape, its periods, its 404 and 422."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from apps.history.models import HistoryPoint
from testing.factories import TikTokAccountFactory, TikTokVideoFactory
from testing.http import assert_error, assert_validation_error

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 31, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    """Before the bearer token is made (autouse first): it is issued at NOW too."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def account(user):
    return TikTokAccountFactory(user=user)


def _get(client, account_id, **params):
    return client.get(f"/api/accounts/{account_id}/analytics", params)


def test_the_answer_has_the_contracts_shape_and_defaults_to_30_days(auth_client, account) -> None:
    for days, followers in ((40, 100), (2, 150)):
        HistoryPoint.objects.create(
            account=account,
            at=NOW - timedelta(days=days),
            follower_count=followers,
            following_count=1,
            likes_count=1_000,
            video_count=0,
        )
    video = TikTokVideoFactory(
        account=account, create_time=NOW - timedelta(days=3), view_count=200, like_count=3
    )

    response = _get(auth_client, account.pk)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["account_id"] == str(account.pk)
    assert (body["days"], body["since"], body["until"]) == (
        30,
        "2026-03-01T12:00:00.000000Z",
        "2026-03-31T12:00:00.000000Z",
    )
    assert body["followers"] == {"start": 100, "end": 150, "change": 50, "change_pct": 50.0}
    assert body["likes"] == {"start": 1000, "end": 1000, "change": 0, "change_pct": 0.0}
    assert body["videos"] == {"start": 0, "end": 0, "change": 0, "change_pct": None}
    # (3 likes + 0 comments + 0 shares) / 200 views * 100 = 1.5
    assert body["engagement_rate"] == 1.5
    [top] = body["top_videos"]
    assert top["id"] == str(video.pk)
    assert set(top) == {
        "id", "video_id", "title", "video_description", "duration", "cover_image_url",
        "share_url", "embed_link", "create_time", "view_count", "like_count", "comment_count",
        "share_count", "synced_at",
    }  # fmt: skip


@pytest.mark.parametrize("days", [7, 30, 90])
def test_each_period_is_answered(auth_client, account, days) -> None:
    response = _get(auth_client, account.pk, days=days)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["days"] == days
    since = NOW - timedelta(days=days)
    assert body["since"] == f"{since:%Y-%m-%dT%H:%M:%S}.000000Z"
    assert body["followers"] == {"start": None, "end": None, "change": None, "change_pct": None}
    assert (body["engagement_rate"], body["top_videos"]) == (None, [])


@pytest.mark.parametrize("days", ["0", "14", "365", "week", ""])
def test_another_period_is_a_422(auth_client, account, days) -> None:
    [error] = assert_validation_error(_get(auth_client, account.pk, days=days))
    assert error["loc"][-1] == "days"


def test_another_users_or_an_unknown_account_is_a_404(auth_client, other_user) -> None:
    theirs = TikTokAccountFactory(user=other_user)
    for account_id in (theirs.pk, uuid.uuid4()):
        assert_error(_get(auth_client, account_id), 404, "ACCOUNT_NOT_FOUND")
