"""Small helpers shared by the accounts API tests (fixtures live in conftest.py)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import requests
from django.conf import settings
from django.db import connection
from django.http import HttpResponse

from apps.tiktok_accounts.models import TikTokAccount
from testing.fake_tiktok import FakeTikTok

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
# Everything a failed sync must leave exactly as it was.
KEPT_ON_FAILURE = (
    "username",
    "display_name",
    "avatar_url",
    "avatar_url_100",
    "avatar_large_url",
    "bio_description",
    "profile_deep_link",
    "is_verified",
    "follower_count",
    "following_count",
    "likes_count",
    "video_count",
    "search_text",
    "last_synced_at",
    "scopes",
    "is_deleted",
)
# Fernet tokens are base64 of a 0x80 version byte followed by the timestamp.
FERNET_PREFIX = "gAAAAA"


def assert_error(response: HttpResponse, status: int, code: str) -> dict[str, Any]:
    """The contract's error shape: `{"detail", "code"}` (+ `errors` on a 422)."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["detail"], str)
    assert body["detail"]
    allowed = {"detail", "code", "errors"} if status == 422 else {"detail", "code"}
    assert set(body) <= allowed, body
    return body


def assert_validation_error(response: HttpResponse) -> list[dict[str, Any]]:
    body = assert_error(response, 422, "VALIDATION_ERROR")
    errors = body.get("errors")
    assert isinstance(errors, list)
    assert errors
    for error in errors:
        assert set(error) == {"loc", "msg", "type"}, error
    return errors


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


def post_json(client: Any, path: str, payload: Any) -> HttpResponse:
    return client.post(path, payload, content_type="application/json")
