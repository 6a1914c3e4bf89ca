"""GET and DELETE /api/accounts/{id}, and the 404 matrix shared with POST /{id}/sync."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from apps.audit.models import AuditLog
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from testing.accounts import ACCOUNT_DETAIL_FIELDS, assert_no_secrets
from testing.factories import TikTokAccountFactory
from testing.http import assert_error, assert_validation_error

pytestmark = pytest.mark.django_db


def _url(account_id: object) -> str:
    return f"/api/accounts/{account_id}"


# --- detail ---------------------------------------------------------------------------------


def test_detail_answers_exactly_the_account_detail_fields(auth_client, user) -> None:
    synced = timezone.now()
    account = TikTokAccountFactory(
        user=user,
        username="zoë_東京",
        display_name="Zoë 💃",
        is_verified=True,
        last_synced_at=synced,
        last_sync_error="TIKTOK_TIMEOUT: TikTok did not answer in time; try again later.",
        status=AccountStatus.ERROR,
    )

    response = auth_client.get(_url(account.id))

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == ACCOUNT_DETAIL_FIELDS
    assert body["id"] == str(account.id)
    assert body["open_id"] == account.open_id
    assert body["username"] == "zoë_東京"
    assert body["display_name"] == "Zoë 💃"
    assert body["avatar_url"] == account.avatar_url
    assert body["is_verified"] is True
    assert body["follower_count"] == account.follower_count
    assert body["following_count"] == account.following_count
    assert body["likes_count"] == account.likes_count
    assert body["video_count"] == account.video_count
    assert body["status"] == "error"
    assert body["bio_description"] == account.bio_description
    assert body["profile_deep_link"] == account.profile_deep_link
    assert body["scopes"] == sorted(account.scopes)
    assert body["last_sync_error"] == account.last_sync_error
    for name in ("last_synced_at", "created_at", "updated_at"):
        assert isinstance(body[name], str)
    assert_no_secrets(response, account)


def test_detail_of_never_synced_account_has_null_sync_fields(auth_client, user) -> None:
    account = TikTokAccountFactory(user=user, last_synced_at=None, last_sync_error=None)

    body = auth_client.get(_url(account.id)).json()

    assert body["last_synced_at"] is None
    assert body["last_sync_error"] is None


# --- the 404 matrix -------------------------------------------------------------------------


def _foreign(user, other_user):
    return TikTokAccountFactory(user=other_user).id


def _deleted(user, other_user):
    return TikTokAccountFactory(user=user, is_deleted=True, deleted_at=timezone.now()).id


def _unknown(user, other_user):
    return uuid.uuid4()


VERBS = [
    ("get", lambda client, account_id: client.get(_url(account_id))),
    ("delete", lambda client, account_id: client.delete(_url(account_id))),
    ("sync", lambda client, account_id: client.post(f"{_url(account_id)}/sync")),
]


@pytest.mark.parametrize(("verb", "call"), VERBS, ids=[verb for verb, _ in VERBS])
@pytest.mark.parametrize(
    "make_id", [_foreign, _deleted, _unknown], ids=["foreign", "deleted", "unknown"]
)
def test_unreachable_account_is_account_not_found_for_every_verb(
    auth_client, user, other_user, fake_tiktok, verb, call, make_id
) -> None:
    account_id = make_id(user, other_user)
    before = list(TikTokAccount.all_objects.values().order_by("id"))

    response = call(auth_client, account_id)

    assert_error(response, 404, "ACCOUNT_NOT_FOUND")
    assert list(TikTokAccount.all_objects.values().order_by("id")) == before
    assert fake_tiktok.count("user_info") == 0
    assert fake_tiktok.count("revoke") == 0


def test_not_found_answers_do_not_reveal_which_case(auth_client, user, other_user) -> None:
    details = {
        assert_error(auth_client.get(_url(make(user, other_user))), 404, "ACCOUNT_NOT_FOUND")[
            "detail"
        ]
        for make in (_foreign, _deleted, _unknown)
    }

    assert len(details) == 1


@pytest.mark.parametrize("bad_id", ["123", "not-a-uuid", "0000-1111", "g" * 32])
@pytest.mark.parametrize(("method", "suffix"), [("get", ""), ("delete", ""), ("post", "/sync")])
def test_malformed_account_id_is_a_validation_error(
    auth_client, user, bad_id, method, suffix
) -> None:
    response = getattr(auth_client, method)(f"/api/accounts/{bad_id}{suffix}")

    assert_validation_error(response)


# --- delete ---------------------------------------------------------------------------------


def test_delete_soft_deletes_and_answers_204(auth_client, user, link_account, fake_tiktok) -> None:
    account, _ = link_account(user)

    response = auth_client.delete(_url(account.id))

    assert response.status_code == 204, response.content
    assert response.content == b""
    row = TikTokAccount.all_objects.get(pk=account.pk)
    assert row.is_deleted is True
    assert row.deleted_at is not None


def test_delete_then_the_account_is_gone_everywhere(
    auth_client, user, link_account, fake_tiktok, django_capture_on_commit_callbacks
) -> None:
    account, _ = link_account(user)
    kept, _ = link_account(user)
    assert auth_client.get("/api/accounts/stats/summary").json()["total_accounts"] == 2

    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.delete(_url(account.id)).status_code == 204

    for response in (
        auth_client.get(_url(account.id)),
        auth_client.delete(_url(account.id)),
        auth_client.post(f"{_url(account.id)}/sync"),
    ):
        assert_error(response, 404, "ACCOUNT_NOT_FOUND")
    listing = auth_client.get("/api/accounts").json()
    assert [item["id"] for item in listing["items"]] == [str(kept.id)]
    assert listing["total"] == 1
    summary = auth_client.get("/api/accounts/stats/summary").json()
    assert summary["total_accounts"] == 1
    assert summary["total_followers"] == kept.follower_count


def test_delete_revokes_the_token_at_tiktok(auth_client, user, link_account, fake_tiktok) -> None:
    account, _ = link_account(user)

    assert auth_client.delete(_url(account.id)).status_code == 204

    assert fake_tiktok.count("revoke") == 1
    entry = AuditLog.objects.get(resource_id=account.id, action="delete")
    assert entry.metadata["revoke"] == "revoked"
    assert entry.user_id == user.pk


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("server_error", "TIKTOK_UPSTREAM_ERROR"),
        ("garbage", "TIKTOK_UPSTREAM_ERROR"),
        ("rate_limit", "TIKTOK_RATE_LIMITED"),
        ("timeout", "TIKTOK_TIMEOUT"),
    ],
)
def test_delete_still_succeeds_when_the_revoke_fails_and_audits_the_failure(
    auth_client, user, link_account, fake_tiktok, kind, code
) -> None:
    account, _ = link_account(user)
    fake_tiktok.add_fault("revoke", kind)

    response = auth_client.delete(_url(account.id))

    assert response.status_code == 204, response.content
    assert fake_tiktok.count("revoke") == 1
    assert TikTokAccount.all_objects.get(pk=account.pk).is_deleted is True
    entry = AuditLog.objects.get(resource_id=account.id, action="delete")
    assert entry.metadata["revoke"] == code
    assert_error(auth_client.get(_url(account.id)), 404, "ACCOUNT_NOT_FOUND")


def test_delete_of_another_users_account_leaves_it_alone(
    auth_client, other_client, other_user, fake_tiktok
) -> None:
    account = TikTokAccountFactory(user=other_user)

    assert_error(auth_client.delete(_url(account.id)), 404, "ACCOUNT_NOT_FOUND")

    assert TikTokAccount.objects.filter(pk=account.pk).exists()
    assert other_client.get(_url(account.id)).status_code == 200
    assert not AuditLog.objects.filter(resource_id=account.id).exists()
