"""Accounts in tests: ones whose tokens the fake TikTok really issued (the `link_account`
fixture, loaded for every test by backend/conftest.py), and what a test checks of them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.http import HttpResponse

from apps.audit.services import RequestMeta
from apps.tiktok_accounts.models import TikTokAccount
from apps.tiktok_accounts.models.account import PROFILE_FIELDS
from apps.workspaces.access import WorkspaceAccess
from apps.workspaces.models import Role
from apps.workspaces.personal import personal_workspace_id
from testing.factories import TikTokAccountFactory
from testing.fake_tiktok import FakeTikTok, Identity

ACCOUNT_OUT_FIELDS = {
    "id",
    "open_id",
    "username",
    "display_name",
    "avatar_url",
    "is_verified",
    "follower_count",
    "following_count",
    "likes_count",
    "video_count",
    "status",
    "last_synced_at",
    "created_at",
}
ACCOUNT_DETAIL_FIELDS = ACCOUNT_OUT_FIELDS | {
    "bio_description",
    "profile_deep_link",
    "scopes",
    "last_sync_error",
    "updated_at",
}
# Everything a failed sync must leave exactly as it was: every field a sync copies from
# TikTok (a field added there is checked here too), and what only a success may change.
KEPT_ON_FAILURE = (*PROFILE_FIELDS, "search_text", "last_synced_at", "scopes", "is_deleted")
# Fernet tokens are base64 of a 0x80 version byte followed by the timestamp.
FERNET_PREFIX = "gAAAAA"


def stored_ciphertexts(account: TikTokAccount) -> list[str]:
    """The encrypted token columns exactly as the database holds them."""
    pk = TikTokAccount._meta.pk.get_db_prep_value(account.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM tiktok_accounts_tiktokaccount WHERE id = %s",
            [pk],
        )
        row = cursor.fetchone()
    return [value for value in row if value]


def assert_no_secrets(response: HttpResponse, *accounts: TikTokAccount) -> None:
    """No token, plaintext or ciphertext, and no token field in a response body."""
    text = response.content.decode()
    assert "access_token" not in text
    assert "refresh_token" not in text
    assert FERNET_PREFIX not in text
    for account in accounts:
        fresh = TikTokAccount.all_objects.get(pk=account.pk)
        for secret in (
            account.access_token,
            account.refresh_token,
            fresh.access_token,
            fresh.refresh_token,
            *stored_ciphertexts(account),
        ):
            assert str(secret) not in text


def snapshot(account: TikTokAccount) -> dict[str, Any]:
    fresh = TikTokAccount.all_objects.get(pk=account.pk)
    return {name: getattr(fresh, name) for name in KEPT_ON_FAILURE}


def fake_grant(fake: FakeTikTok, open_id: str, scopes: list[str] | None = None) -> dict[str, Any]:
    """Real tokens from the fake's token endpoint, as a connect would have stored them."""
    response = requests.post(
        f"{fake.base_url}/v2/oauth/token/",
        data={
            "client_key": settings.TIKTOK_CLIENT_KEY,
            "client_secret": settings.TIKTOK_CLIENT_SECRET,
            "code": fake.issue_code(open_id, scopes),
            "grant_type": "authorization_code",
            "redirect_uri": settings.TIKTOK_REDIRECT_URI,
        },
        timeout=5,
    )
    body = response.json()
    assert "access_token" in body, body
    return body


def new_open_id() -> str:
    return f"test-{uuid.uuid4().hex}"


def drain(fake: FakeTikTok, timeout: float = 8.0) -> None:
    """Waits until no request sleeps in the fake anymore, so the next test starts clean."""
    deadline = time.monotonic() + timeout
    while fake.stats()["in_flight"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fake.stats()["in_flight"] == 0


LinkAccount = Callable[..., tuple[TikTokAccount, Identity]]


@pytest.fixture
def link_account(fake_tiktok: FakeTikTok) -> LinkAccount:
    """Makes a TikTok identity at the fake and a stored account holding its live tokens.

    The stored profile equals the identity's except `follower_count` and `video_count`, which
    are behind, so a successful sync changes exactly those two fields.
    """

    def make(user: Any, *, identity: dict[str, Any] | None = None, **account: Any):
        seed = len(fake_tiktok.identities)
        values = {
            "open_id": new_open_id(),
            "username": f"creator_{seed}",
            "display_name": f"Creator {seed}",
            "bio_description": f"Bio of creator {seed}",
            "follower_count": 10_000 + seed,
            "following_count": 300 + seed,
            "likes_count": 90_000 + seed,
            "video_count": 40 + seed,
            **(identity or {}),
        }
        person = fake_tiktok.add_identity(**values)
        grant = fake_grant(fake_tiktok, person.open_id)
        fields = {
            "user": user,
            "open_id": person.open_id,
            "union_id": person.union_id,
            "username": person.username,
            "display_name": person.display_name,
            "avatar_url": person.avatar_url,
            "avatar_url_100": person.avatar_url_100,
            "avatar_large_url": person.avatar_large_url,
            "bio_description": person.bio_description,
            "profile_deep_link": person.profile_deep_link,
            "is_verified": person.is_verified,
            "follower_count": person.follower_count - 100,
            "following_count": person.following_count,
            "likes_count": person.likes_count,
            "video_count": person.video_count - 1,
            "access_token": grant["access_token"],
            "refresh_token": grant["refresh_token"],
            **account,
        }
        return TikTokAccountFactory(**fields), person

    return make


def personal_access(user: Any, role: Role = Role.OWNER) -> WorkspaceAccess:
    """What a request without X-Workspace-Id acts as: `user` in their personal workspace."""
    return WorkspaceAccess(personal_workspace_id(user.pk), user.pk, role)


def as_user(meta: RequestMeta, user: Any) -> RequestMeta:
    """`meta` of a request `user` made (services read the acting user from it)."""
    return replace(meta, user_id=user.pk)
