"""POST /api/accounts/{id}/sync against the fake TikTok over real HTTP."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from apps.audit.models import AuditLog
from apps.scheduling.token_refresh import refresh_due_accounts
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.tiktok_accounts.models.account import search_key
from testing.accounts import ACCOUNT_DETAIL_FIELDS, assert_no_secrets, drain, snapshot
from testing.http import assert_error, bearer_header

pytestmark = pytest.mark.django_db


def _sync(client: Client, account: TikTokAccount):
    return client.post(f"/api/accounts/{account.id}/sync")


def _expire_locally(account: TikTokAccount) -> None:
    TikTokAccount.all_objects.filter(pk=account.pk).update(
        access_token_expires_at=timezone.now() - timedelta(minutes=5)
    )


def _row(account: TikTokAccount) -> TikTokAccount:
    return TikTokAccount.all_objects.get(pk=account.pk)


# --- success --------------------------------------------------------------------------------


def test_sync_stores_the_profile_from_tiktok(auth_client, user, link_account, fake_tiktok) -> None:
    account, person = link_account(user)
    before = timezone.now()

    response = _sync(auth_client, account)

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == ACCOUNT_DETAIL_FIELDS
    assert body["id"] == str(account.id)
    assert body["follower_count"] == person.follower_count
    assert body["video_count"] == person.video_count
    assert body["status"] == "active"
    assert body["last_sync_error"] is None
    row = _row(account)
    assert row.follower_count == person.follower_count
    assert row.video_count == person.video_count
    assert row.last_synced_at is not None
    assert row.last_synced_at >= before
    assert row.last_sync_error is None
    assert fake_tiktok.count("user_info") == 1
    assert fake_tiktok.count("refresh") == 0
    assert_no_secrets(response, account)


def test_sync_audits_exactly_the_changed_fields(
    auth_client, user, link_account, fake_tiktok
) -> None:
    account, person = link_account(user)

    assert _sync(auth_client, account).status_code == 200

    entry = AuditLog.objects.get(resource_id=account.id)
    assert entry.action == "sync"
    assert entry.resource_type == "tiktok_account"
    assert entry.user_id == user.pk
    assert entry.changes == {
        "before": {
            "follower_count": account.follower_count,
            "video_count": account.video_count,
        },
        "after": {"follower_count": person.follower_count, "video_count": person.video_count},
    }


def test_sync_without_changes_audits_empty_changes(
    auth_client, user, link_account, fake_tiktok
) -> None:
    account, _ = link_account(user)
    assert _sync(auth_client, account).status_code == 200

    assert _sync(auth_client, account).status_code == 200

    second = AuditLog.objects.filter(resource_id=account.id).order_by("-created_at", "-id")[0]
    assert second.changes == {"before": {}, "after": {}}


def test_sync_round_trips_unicode_profiles(auth_client, user, link_account, fake_tiktok) -> None:
    account, person = link_account(user, username="old_name", display_name="Old")
    person.username = "zoë_東京_café"
    person.display_name = "Zoë 💃 東京グルメ"
    person.bio_description = "Ünïcödé bio 🌊 서울"

    response = _sync(auth_client, account)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["username"] == "zoë_東京_café"
    assert body["display_name"] == "Zoë 💃 東京グルメ"
    assert body["bio_description"] == "Ünïcödé bio 🌊 서울"
    row = _row(account)
    assert row.username == "zoë_東京_café"
    assert row.search_text == search_key("zoë_東京_café", "Zoë 💃 東京グルメ")
    found = auth_client.get("/api/accounts", {"search": "ZOË_東京"}).json()
    assert [item["id"] for item in found["items"]] == [str(account.id)]
    detail = auth_client.get(f"/api/accounts/{account.id}").json()
    assert detail["display_name"] == "Zoë 💃 東京グルメ"


# --- failures that leave the profile as it was ----------------------------------------------

# TikTok fault kind -> the answer; none of them changes the account's status.
PASSING_FAILURES = [
    ("server_error", 502, "TIKTOK_UPSTREAM_ERROR"),
    ("garbage", 502, "TIKTOK_UPSTREAM_ERROR"),
    ("rate_limit", 429, "TIKTOK_RATE_LIMITED"),
    ("timeout", 504, "TIKTOK_TIMEOUT"),
]


@pytest.mark.parametrize(("kind", "status", "code"), PASSING_FAILURES)
def test_sync_passing_failure_keeps_profile_and_status_and_records_the_error(
    auth_client, user, link_account, fake_tiktok, kind, status, code
) -> None:
    account, _ = link_account(user, last_synced_at=timezone.now() - timedelta(days=1))
    kept = snapshot(account)
    fake_tiktok.add_fault("user_info", kind)

    response = _sync(auth_client, account)

    assert_error(response, status, code)
    drain(fake_tiktok)
    assert snapshot(account) == kept
    row = _row(account)
    assert row.status == AccountStatus.ACTIVE
    assert row.last_sync_error
    assert code in row.last_sync_error
    assert fake_tiktok.count("refresh") == 0
    assert_no_secrets(response, account)
    entry = AuditLog.objects.get(resource_id=account.id)
    assert entry.changes == {"before": {}, "after": {}}
    assert entry.metadata.get("code") == code


def test_sync_tiktok_rate_limit_sets_retry_after_from_tiktok(
    auth_client, user, link_account, fake_tiktok
) -> None:
    account, _ = link_account(user)
    fake_tiktok.rate_limit_retry_after = 17
    fake_tiktok.add_fault("user_info", "rate_limit")

    response = _sync(auth_client, account)

    assert_error(response, 429, "TIKTOK_RATE_LIMITED")
    assert response["Retry-After"] == "17"


def test_sync_tiktok_rate_limit_without_header_still_sets_retry_after(
    auth_client, user, link_account, fake_tiktok
) -> None:
    account, _ = link_account(user)
    fake_tiktok.add_fault("user_info", "rate_limit")

    response = _sync(auth_client, account)

    assert_error(response, 429, "TIKTOK_RATE_LIMITED")
    assert response["Retry-After"].isdigit()
    assert int(response["Retry-After"]) >= 1


@pytest.mark.parametrize(("kind", "status", "code"), PASSING_FAILURES)
def test_sync_passing_failure_of_the_refresh_keeps_status_and_tokens(
    auth_client, user, link_account, fake_tiktok, kind, status, code
) -> None:
    account, _ = link_account(user)
    _expire_locally(account)
    kept = snapshot(account)
    fake_tiktok.add_fault("refresh", kind)

    response = _sync(auth_client, account)

    assert_error(response, status, code)
    drain(fake_tiktok)
    row = _row(account)
    assert row.status == AccountStatus.ACTIVE
    assert row.refresh_token == account.refresh_token
    assert row.access_token == account.access_token
    assert row.refresh_lock_until is None
    assert snapshot(account) == kept
    assert code in row.last_sync_error
    assert fake_tiktok.count("user_info") == 0


# --- token expiry and refresh ---------------------------------------------------------------


def test_sync_refreshes_an_expired_access_token_first(
    auth_client, user, link_account, fake_tiktok
) -> None:
    account, person = link_account(user)
    _expire_locally(account)

    response = _sync(auth_client, account)

    assert response.status_code == 200, response.content
    assert response.json()["follower_count"] == person.follower_count
    assert fake_tiktok.count("refresh") == 1
    assert fake_tiktok.count("user_info") == 1
    row = _row(account)
    assert row.access_token != account.access_token
    assert row.refresh_token != account.refresh_token
    assert row.access_token_expires_at > timezone.now()
    assert row.token_version == account.token_version + 1
    assert row.refresh_lock_until is None
    assert_no_secrets(response, account)


@pytest.mark.parametrize(("expires_in", "refreshes"), [(180, 0), (30, 1)])
def test_sync_refreshes_a_token_only_within_token_refresh_ahead_seconds(
    auth_client, user, link_account, fake_tiktok, settings, expires_in, refreshes
) -> None:
    # TikTok rotates the refresh token on every refresh: one further from expiry than the
    # background refresher's margin is left alone by a sync too.
    settings.TOKEN_REFRESH_AHEAD_SECONDS = 60
    account, _ = link_account(
        user, access_token_expires_at=timezone.now() + timedelta(seconds=expires_in)
    )
    due = set(refresh_due_accounts().values_list("id", flat=True))

    response = _sync(auth_client, account)

    assert response.status_code == 200, response.content
    assert fake_tiktok.count("refresh") == refreshes
    assert _row(account).token_version == account.token_version + refreshes
    assert (account.id in due) == bool(refreshes)  # the background refresher agrees


def test_sync_refreshes_once_and_retries_once_when_tiktok_rejects_the_token(
    auth_client, user, link_account, fake_tiktok
) -> None:
    account, person = link_account(user)
    fake_tiktok.add_fault("user_info", "token_invalid", times=1)

    response = _sync(auth_client, account)

    assert response.status_code == 200, response.content
    assert response.json()["follower_count"] == person.follower_count
    assert fake_tiktok.count("refresh") == 1
    assert fake_tiktok.count("user_info") == 2
    assert _row(account).refresh_token != account.refresh_token


def test_sync_refreshes_once_when_tiktok_expired_the_token_early(
    auth_client, user, link_account, fake_tiktok
) -> None:
    account, person = link_account(user)
    fake_tiktok.expire_access_tokens(account.open_id)

    response = _sync(auth_client, account)

    assert response.status_code == 200, response.content
    assert response.json()["follower_count"] == person.follower_count
    assert fake_tiktok.count("refresh") == 1
    assert fake_tiktok.count("user_info") == 2
    assert _row(account).status == AccountStatus.ACTIVE


def test_sync_token_rejected_right_after_refresh_requires_reauth(
    auth_client, user, link_account, fake_tiktok
) -> None:
    account, _ = link_account(user)
    kept = snapshot(account)
    fake_tiktok.add_fault("user_info", "token_invalid")

    response = _sync(auth_client, account)

    assert_error(response, 409, "TIKTOK_REAUTH_REQUIRED")
    assert fake_tiktok.count("refresh") == 1
    assert fake_tiktok.count("user_info") == 2
    row = _row(account)
    assert row.status == AccountStatus.TOKEN_EXPIRED
    assert snapshot(account) == kept
    assert "TIKTOK_REAUTH_REQUIRED" in row.last_sync_error
    # The rotated tokens TikTok issued are kept, even though the sync failed.
    assert row.refresh_token != account.refresh_token


def test_sync_refused_refresh_token_requires_reauth(
    auth_client, user, link_account, fake_tiktok
) -> None:
    account, _ = link_account(user)
    _expire_locally(account)
    kept = snapshot(account)
    fake_tiktok.add_fault("refresh", "invalid_grant")

    response = _sync(auth_client, account)

    assert_error(response, 409, "TIKTOK_REAUTH_REQUIRED")
    assert fake_tiktok.count("refresh") == 1
    assert fake_tiktok.count("user_info") == 0
    row = _row(account)
    assert row.status == AccountStatus.TOKEN_EXPIRED
    assert snapshot(account) == kept
    assert "TIKTOK_REAUTH_REQUIRED" in row.last_sync_error


def test_sync_revoked_refresh_token_marks_the_account_revoked(
    auth_client, user, link_account, fake_tiktok
) -> None:
    account, _ = link_account(user)
    _expire_locally(account)
    fake_tiktok.add_fault("refresh", "revoked")

    response = _sync(auth_client, account)

    assert_error(response, 409, "TIKTOK_REAUTH_REQUIRED")
    assert _row(account).status == AccountStatus.REVOKED


def test_sync_after_the_user_revoked_the_app_at_tiktok_marks_the_account_revoked(
    auth_client, user, link_account, fake_tiktok
) -> None:
    account, _ = link_account(user)
    kept = snapshot(account)
    fake_tiktok.revoke_all(account.open_id)

    response = _sync(auth_client, account)

    assert_error(response, 409, "TIKTOK_REAUTH_REQUIRED")
    assert fake_tiktok.count("refresh") == 1
    row = _row(account)
    assert row.status == AccountStatus.REVOKED
    assert snapshot(account) == kept
    assert_no_secrets(response, account)


@pytest.mark.parametrize("status", [AccountStatus.TOKEN_EXPIRED, AccountStatus.REVOKED])
def test_sync_of_an_account_with_a_dead_grant_requires_reauth_without_calling_tiktok(
    auth_client, user, link_account, fake_tiktok, status
) -> None:
    account, _ = link_account(user, status=status)

    assert_error(_sync(auth_client, account), 409, "TIKTOK_REAUTH_REQUIRED")

    assert fake_tiktok.count("user_info") == 0
    assert fake_tiktok.count("refresh") == 0
    assert _row(account).status == status


# --- a token that cannot be decrypted -------------------------------------------------------


def _garble(account: TikTokAccount, column: str) -> str:
    """Writes ciphertext of another Fernet key into a token column, as a lost key would leave."""
    foreign_ciphertext = Fernet(Fernet.generate_key()).encrypt(b"tok.stolen-token").decode()
    pk = TikTokAccount._meta.pk.get_db_prep_value(account.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE tiktok_accounts_tiktokaccount SET {column} = %s WHERE id = %s",  # noqa: S608
            [foreign_ciphertext, pk],
        )
    return foreign_ciphertext


@pytest.mark.parametrize("column", ["access_token", "refresh_token"])
def test_sync_with_undecryptable_token_is_internal_error_and_sends_nothing(
    auth_client, user, link_account, fake_tiktok, column
) -> None:
    account, _ = link_account(user)
    if column == "refresh_token":
        _expire_locally(account)
    foreign_ciphertext = _garble(account, column)
    pk = TikTokAccount._meta.pk.get_db_prep_value(account.pk, connection)
    kept = snapshot(account)

    response = _sync(auth_client, account)

    assert_error(response, 500, "INTERNAL_ERROR")
    assert fake_tiktok.count("user_info") == 0
    assert fake_tiktok.count("refresh") == 0
    text = response.content.decode()
    assert foreign_ciphertext not in text
    assert "gAAAAA" not in text
    assert "Fernet" not in text
    assert "Traceback" not in text
    assert snapshot(account) == kept
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM tiktok_accounts_tiktokaccount WHERE id = %s",  # noqa: S608
            [pk],
        )
        assert cursor.fetchone()[0] == foreign_ciphertext
    row = _row(account)
    assert "INTERNAL_ERROR" in row.last_sync_error
    assert row.status == AccountStatus.ACTIVE
    assert row.refresh_lock_until is None


# --- concurrency ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_syncs_of_one_account_refresh_its_token_once(
    user, link_account, fake_tiktok
) -> None:
    account, person = link_account(user)
    _expire_locally(account)
    fake_tiktok.set_latency(0.2)
    headers = bearer_header(user)
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def sync_once() -> None:
        try:
            barrier.wait()
            statuses.append(_sync(Client(headers=headers), account).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sync_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == [200, 200, 200, 200]
    assert fake_tiktok.count("refresh") == 1
    row = _row(account)
    assert row.follower_count == person.follower_count
    assert row.token_version == account.token_version + 1
    assert row.refresh_lock_until is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_syncs_of_different_accounts_each_refresh_their_own_token(
    user, link_account, fake_tiktok
) -> None:
    accounts = [link_account(user)[0] for _ in range(3)]
    for account in accounts:
        _expire_locally(account)
    headers = bearer_header(user)
    statuses: list[int] = []

    def sync_once(account: TikTokAccount) -> None:
        try:
            statuses.append(_sync(Client(headers=headers), account).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sync_once, args=(a,)) for a in accounts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == [200, 200, 200]
    assert fake_tiktok.count("refresh") == 3
