"""POST /api/accounts/{id}/videos/sync against the fake TikTok over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.videos.models import TikTokVideo
from testing.http import assert_error

pytestmark = pytest.mark.django_db


def _sync(client, account):
    return client.post(f"/api/accounts/{account.id}/videos/sync")


def test_sync_walks_short_pages_while_tiktok_says_has_more(
    auth_client, user, link_account, fake_tiktok
) -> None:
    account, person = link_account(user)
    fake_tiktok.content.set_videos(person.open_id, 45)
    fake_tiktok.content.page_cap = 7  # every page shorter than the 20 asked for

    response = _sync(auth_client, account)

    assert response.status_code == 200, response.content
    assert response.json() == {"synced": 45, "has_more": False}
    assert fake_tiktok.count("video_list") == 7
    assert TikTokVideo.objects.filter(account=account).count() == 45


def test_sync_stops_at_max_pages_and_says_there_is_more(
    auth_client, user, link_account, fake_tiktok, settings
) -> None:
    settings.VIDEO_SYNC_MAX_PAGES = 2
    account, person = link_account(user)
    fake_tiktok.content.set_videos(person.open_id, 45)
    fake_tiktok.content.page_cap = 7

    response = _sync(auth_client, account)

    assert response.json() == {"synced": 14, "has_more": True}
    assert fake_tiktok.count("video_list") == 2
    newest = TikTokVideo.objects.filter(account=account).order_by("-create_time").first()
    assert newest.title == "Video 44"


def test_sync_again_updates_rows_without_duplicates(
    auth_client, user, link_account, fake_tiktok
) -> None:
    account, person = link_account(user)
    fake_tiktok.content.set_videos(person.open_id, 30)
    _sync(auth_client, account)
    first = {video.video_id: video for video in TikTokVideo.objects.filter(account=account)}
    TikTokVideo.objects.filter(account=account).update(view_count=-1, title="stale")

    response = _sync(auth_client, account)

    assert response.json() == {"synced": 30, "has_more": False}
    again = {video.video_id: video for video in TikTokVideo.objects.filter(account=account)}
    assert again.keys() == first.keys()
    for video_id, video in again.items():
        assert video.id == first[video_id].id  # updated in place
        assert video.view_count == first[video_id].view_count
        assert video.title == first[video_id].title
        assert video.synced_at > first[video_id].synced_at


def test_sync_stores_tiktok_fields_with_utc_create_time(
    auth_client, user, link_account, fake_tiktok
) -> None:
    account, person = link_account(user)
    fake_tiktok.content.set_videos(person.open_id, 1)

    _sync(auth_client, account)

    video = TikTokVideo.objects.get(account=account)
    assert video.create_time == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert video.share_url.endswith(video.video_id)
    assert video.duration == 5


@pytest.mark.parametrize("pages", [1, 2, 3])
def test_sync_costs_three_statements_per_page_whatever_the_page_size(
    auth_client, user, link_account, fake_tiktok, pages
) -> None:
    counts = []
    # The first request to a workspace may read the user and role from the database.
    assert auth_client.get("/api/jobs").status_code == 200  # caches the user and their role
    for page_size in (3, 20):
        account, person = link_account(user)
        fake_tiktok.content.set_videos(person.open_id, page_size * pages)
        fake_tiktok.content.page_cap = page_size
        with CaptureQueriesContext(connection) as queries:
            assert _sync(auth_client, account).status_code == 200
        sqls = [q["sql"] for q in queries]
        # Per page: the upsert, the read of each video's latest point, the new points.
        assert sum(sql.startswith('INSERT INTO "videos_tiktokvideo"') for sql in sqls) == pages
        assert sum('"videos_videohistorypoint"' in sql for sql in sqls) == 2 * pages
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_sync_refreshes_an_expiring_token_first(
    auth_client, user, link_account, fake_tiktok
) -> None:
    account, person = link_account(user)
    fake_tiktok.content.set_videos(person.open_id, 3)
    TikTokAccount.objects.filter(pk=account.pk).update(
        access_token_expires_at=timezone.now() - timedelta(minutes=1)
    )

    response = _sync(auth_client, account)

    assert response.json()["synced"] == 3
    assert fake_tiktok.count("refresh") == 1


def test_sync_of_an_account_without_video_list_is_409_naming_it(
    auth_client, user, link_account, fake_tiktok
) -> None:
    account, _ = link_account(user, scopes=["user.info.basic", "user.info.profile"])

    body = assert_error(_sync(auth_client, account), 409, "TIKTOK_REAUTH_REQUIRED")

    assert "video.list" in body["detail"]
    assert fake_tiktok.count("video_list") == 0


def test_sync_when_tiktok_withdrew_video_list_is_409_and_later_calls_are_spared(
    auth_client, user, link_account, fake_tiktok
) -> None:
    account, _ = link_account(user)
    fake_tiktok.add_fault("video_list", "scope_not_authorized")

    body = assert_error(_sync(auth_client, account), 409, "TIKTOK_REAUTH_REQUIRED")
    assert_error(_sync(auth_client, account), 409, "TIKTOK_REAUTH_REQUIRED")

    assert "video.list" in body["detail"]
    assert fake_tiktok.count("video_list") == 1
    account.refresh_from_db()
    assert "video.list" not in account.scopes
    assert account.status == AccountStatus.ACTIVE  # the profile still syncs


def test_sync_with_a_dead_grant_is_409_and_marks_the_account(
    auth_client, user, link_account, fake_tiktok
) -> None:
    account, _ = link_account(user)
    fake_tiktok.add_fault("video_list", "token_invalid")
    fake_tiktok.add_fault("refresh", "invalid_grant")

    assert_error(_sync(auth_client, account), 409, "TIKTOK_REAUTH_REQUIRED")

    account.refresh_from_db()
    assert account.status == AccountStatus.TOKEN_EXPIRED


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("rate_limit", 429, "TIKTOK_RATE_LIMITED"),
        ("server_error", 502, "TIKTOK_UPSTREAM_ERROR"),
        ("garbage", 502, "TIKTOK_UPSTREAM_ERROR"),
        ("timeout", 504, "TIKTOK_TIMEOUT"),
    ],
)
def test_sync_answers_tiktok_failures_and_keeps_pages_already_stored(
    auth_client, user, link_account, fake_tiktok, kind, status, code
) -> None:
    account, person = link_account(user)
    fake_tiktok.content.set_videos(person.open_id, 45)
    fake_tiktok.timeout_sleep = 1.5
    _sync(auth_client, account)
    fake_tiktok.add_fault("video_list", kind, times=1)

    response = _sync(auth_client, account)

    assert_error(response, status, code)
    if status == 429:
        assert response["Retry-After"].isdigit()
    assert TikTokVideo.objects.filter(account=account).count() == 45
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE


def test_sync_of_another_users_account_is_404(
    auth_client, other_user, link_account, fake_tiktok
) -> None:
    account, _ = link_account(other_user)

    assert_error(_sync(auth_client, account), 404, "ACCOUNT_NOT_FOUND")
    assert fake_tiktok.count("video_list") == 0


def test_sync_is_rate_limited_like_account_sync(
    auth_client, user, link_account, fake_tiktok, settings
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "sync": "2/m"}
    account, person = link_account(user)
    fake_tiktok.content.set_videos(person.open_id, 1)

    assert _sync(auth_client, account).status_code == 200
    assert _sync(auth_client, account).status_code == 200
    response = _sync(auth_client, account)

    assert_error(response, 429, "RATE_LIMITED")
    assert fake_tiktok.count("video_list") == 2
