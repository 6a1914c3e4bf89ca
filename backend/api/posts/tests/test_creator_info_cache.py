"""Creator info reused for CREATOR_INFO_CACHE_SECONDS: a burst of post creations is limited by
RATE_LIMIT_POST, never by TikTok's 20 creator-info queries a minute per token."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from apps.posts.creator_info import creator_info_key
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from testing.http import assert_error, bearer_header, post_json

pytestmark = pytest.mark.django_db

BODY = {
    "video_url": "https://videos.example.com/clip.mp4",
    "title": "Burst",
    "privacy_level": "SELF_ONLY",
    "disable_comment": False,
    "disable_duet": False,
    "disable_stitch": False,
}


def _create(client: Client, account):
    return client.post(f"/api/accounts/{account.id}/posts", BODY, content_type="application/json")


@pytest.fixture
def client_of(user):
    """A client whose JWT is minted now (on the test's clock, when it has one)."""
    return lambda: Client(headers=bearer_header(user))


def test_a_burst_of_25_creations_asks_tiktok_for_creator_info_once(
    settings, client_of, link_account, user, fake_tiktok
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "post": "100/m"}
    account, _ = link_account(user)
    client = client_of()

    answers = [_create(client, account).status_code for _ in range(25)]

    assert answers == [202] * 25
    assert fake_tiktok.count("creator_info") == 1


def test_creator_info_is_asked_again_once_the_cache_seconds_pass(
    clock, settings, client_of, link_account, user, fake_tiktok
) -> None:
    assert settings.CREATOR_INFO_CACHE_SECONDS == 60
    account, _ = link_account(user)

    assert _create(client_of(), account).status_code == 202
    clock.shift(59)
    assert _create(client_of(), account).status_code == 202
    assert fake_tiktok.count("creator_info") == 1
    clock.shift(2)
    assert _create(client_of(), account).status_code == 202

    assert fake_tiktok.count("creator_info") == 2


def test_get_creator_info_answers_from_the_same_cache(
    client_of, link_account, user, fake_tiktok
) -> None:
    account, _ = link_account(user)
    client = client_of()

    first = client.get(f"/api/accounts/{account.id}/creator-info")
    assert _create(client, account).status_code == 202
    again = client.get(f"/api/accounts/{account.id}/creator-info")

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert fake_tiktok.count("creator_info") == 1


def test_the_cache_holds_tiktoks_answer_and_no_token(client_of, link_account, user) -> None:
    account, _ = link_account(user)
    _create(client_of(), account)

    key = creator_info_key(TikTokAccount.objects.get(pk=account.pk))
    stored = cache.get(key)

    assert stored["info"]["privacy_level_options"]
    text = f"{key} {stored}"
    assert account.access_token not in text
    assert account.refresh_token not in text


def test_a_reconnect_asks_tiktok_again(clock, client_of, link_account, user, fake_tiktok) -> None:
    account, person = link_account(user)
    client = client_of()
    assert _create(client, account).status_code == 202
    fake_tiktok.content.privacy_level_options = ["PUBLIC_TO_EVERYONE"]

    clock.shift(1)
    state = client.post("/api/accounts/connect/start").json()["state"]
    code = fake_tiktok.issue_code(person.open_id)
    reconnect = post_json(client, "/api/accounts/connect/complete", {"code": code, "state": state})
    assert reconnect.status_code == 200, reconnect.content

    response = _create(client, account)
    assert response.status_code == 422
    assert fake_tiktok.count("creator_info") == 2


def test_cache_seconds_zero_asks_tiktok_every_time(
    settings, client_of, link_account, user, fake_tiktok
) -> None:
    settings.CREATOR_INFO_CACHE_SECONDS = 0
    account, _ = link_account(user)
    client = client_of()

    _create(client, account)
    _create(client, account)

    assert fake_tiktok.count("creator_info") == 2


@pytest.mark.parametrize("state", [AccountStatus.REVOKED, AccountStatus.TOKEN_EXPIRED])
def test_a_dead_grant_is_refused_even_with_creator_info_cached(
    client_of, link_account, user, fake_tiktok, state
) -> None:
    account, _ = link_account(user)
    client = client_of()
    assert _create(client, account).status_code == 202
    TikTokAccount.objects.filter(pk=account.pk).update(status=state)

    assert_error(_create(client, account), 409, "TIKTOK_REAUTH_REQUIRED")
    assert_error(
        client.get(f"/api/accounts/{account.id}/creator-info"), 409, "TIKTOK_REAUTH_REQUIRED"
    )
    assert fake_tiktok.count("creator_info") == 1
