"""POST /api/accounts/batch/sync: validation, per-account outcomes, parallelism, deadline."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.db.backends.signals import connection_created
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.audit.models import AuditLog
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from testing.accounts import ACCOUNT_OUT_FIELDS, assert_no_secrets, drain, snapshot
from testing.factories import TikTokAccountFactory
from testing.http import assert_validation_error, post_json

pytestmark = pytest.mark.django_db

URL = "/api/accounts/batch/sync"


def _batch(client, ids):
    return post_json(client, URL, {"account_ids": [str(i) for i in ids]})


def _failed(body: dict) -> dict[str, dict]:
    return {item["id"]: item for item in body["failed"]}


def _succeeded(body: dict) -> dict[str, dict]:
    return {item["id"]: item for item in body["succeeded"]}


def _row(account: TikTokAccount) -> TikTokAccount:
    return TikTokAccount.all_objects.get(pk=account.pk)


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 51])
def test_batch_rejects_empty_or_oversized_id_lists(auth_client, user, count) -> None:
    errors = assert_validation_error(_batch(auth_client, [uuid.uuid4() for _ in range(count)]))

    assert any("account_ids" in error["loc"] for error in errors)


@pytest.mark.parametrize(
    "payload",
    [{}, {"account_ids": "abc"}, {"account_ids": ["not-a-uuid"]}, {"account_ids": [1]}, []],
)
def test_batch_rejects_malformed_bodies(auth_client, user, payload) -> None:
    assert_validation_error(post_json(auth_client, URL, payload))


def test_batch_accepts_50_ids(auth_client, user, fake_tiktok) -> None:
    response = _batch(auth_client, [uuid.uuid4() for _ in range(50)])

    assert response.status_code == 200, response.content
    assert len(response.json()["failed"]) == 50


# --- outcomes -------------------------------------------------------------------------------


def test_batch_syncs_every_account_and_answers_account_out_items(
    auth_client, user, link_account, fake_tiktok
) -> None:
    pairs = [link_account(user) for _ in range(3)]

    response = _batch(auth_client, [a.id for a, _ in pairs])

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"succeeded", "failed"}
    assert body["failed"] == []
    assert [item["id"] for item in body["succeeded"]] == [str(a.id) for a, _ in pairs]
    for (account, person), item in zip(pairs, body["succeeded"], strict=True):
        assert set(item) == ACCOUNT_OUT_FIELDS
        assert item["follower_count"] == person.follower_count
        assert item["last_synced_at"] is not None
        assert _row(account).follower_count == person.follower_count
    assert_no_secrets(response, *(a for a, _ in pairs))


def test_batch_audits_each_item_as_a_batch_sync(
    auth_client, user, link_account, fake_tiktok
) -> None:
    account, person = link_account(user)

    assert _batch(auth_client, [account.id]).status_code == 200

    entry = AuditLog.objects.get(resource_id=account.id)
    assert entry.action == "sync"
    assert entry.metadata["batch"] is True
    assert entry.changes == {
        "before": {"follower_count": account.follower_count, "video_count": account.video_count},
        "after": {"follower_count": person.follower_count, "video_count": person.video_count},
    }


def test_batch_syncs_duplicate_ids_once(auth_client, user, link_account, fake_tiktok) -> None:
    account, _ = link_account(user)

    body = _batch(auth_client, [account.id, account.id, account.id]).json()

    assert [item["id"] for item in body["succeeded"]] == [str(account.id)]
    assert body["failed"] == []
    assert fake_tiktok.count("user_info") == 1
    assert AuditLog.objects.filter(resource_id=account.id).count() == 1


def test_batch_collapses_one_id_written_in_different_forms(
    auth_client, user, other_user, link_account, fake_tiktok
) -> None:
    account, _ = link_account(user)
    foreign = TikTokAccountFactory(user=other_user)
    forms = [
        str(account.id),
        str(account.id).upper(),
        account.id.hex,
        str(foreign.id),
        foreign.id.hex,
    ]

    body = post_json(auth_client, URL, {"account_ids": forms}).json()

    assert [item["id"] for item in body["succeeded"]] == [str(account.id)]
    assert [item["id"] for item in body["failed"]] == [str(foreign.id)]
    assert fake_tiktok.count("user_info") == 1


def test_batch_item_with_undecryptable_token_fails_like_single_sync(
    auth_client, user, link_account, fake_tiktok
) -> None:
    broken, _ = link_account(user)
    fine, _ = link_account(user)
    pk = TikTokAccount._meta.pk.get_db_prep_value(broken.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tiktok_accounts_tiktokaccount SET access_token = %s WHERE id = %s",
            [Fernet(Fernet.generate_key()).encrypt(b"act.x").decode(), pk],
        )

    response = _batch(auth_client, [broken.id, fine.id])

    body = response.json()
    assert [(item["id"], item["code"]) for item in body["failed"]] == [
        (str(broken.id), "INTERNAL_ERROR")
    ]
    assert [item["id"] for item in body["succeeded"]] == [str(fine.id)]
    assert fake_tiktok.count("user_info") == 1
    assert "gAAAAA" not in response.content.decode()


def test_batch_reports_unknown_foreign_and_deleted_ids_alike(
    auth_client, user, other_user, fake_tiktok
) -> None:
    foreign = TikTokAccountFactory(user=other_user)
    deleted = TikTokAccountFactory(user=user, is_deleted=True, deleted_at=timezone.now())
    unknown = uuid.uuid4()
    kept = [snapshot(foreign), snapshot(deleted)]

    body = _batch(auth_client, [foreign.id, deleted.id, unknown]).json()

    assert body["succeeded"] == []
    failed = body["failed"]
    assert [item["id"] for item in failed] == [str(foreign.id), str(deleted.id), str(unknown)]
    assert {item["code"] for item in failed} == {"ACCOUNT_NOT_FOUND"}
    assert len({item["detail"] for item in failed}) == 1
    for item in failed:
        assert set(item) == {"id", "code", "detail"}
    assert [snapshot(foreign), snapshot(deleted)] == kept
    assert fake_tiktok.count("user_info") == 0
    assert not AuditLog.objects.filter(resource_id__in=[foreign.id, deleted.id]).exists()


@pytest.mark.django_db(transaction=True)
def test_batch_splits_partial_failures_with_the_codes_of_single_sync(
    auth_client, user, other_user, link_account, fake_tiktok
) -> None:
    fine = [link_account(user) for _ in range(3)]
    revoked, _ = link_account(user)
    limited, _ = link_account(user)
    foreign, _ = link_account(other_user)
    kept = {a.id: snapshot(a) for a in (revoked, limited, foreign)}
    fake_tiktok.revoke_all(revoked.open_id)
    fake_tiktok.add_fault("user_info", "rate_limit", open_id=limited.open_id)

    ids = [a.id for a, _ in fine] + [revoked.id, limited.id, foreign.id]
    response = _batch(auth_client, ids)

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(_succeeded(body)) == {str(a.id) for a, _ in fine}
    failed = _failed(body)
    assert {key: item["code"] for key, item in failed.items()} == {
        str(revoked.id): "TIKTOK_REAUTH_REQUIRED",
        str(limited.id): "TIKTOK_RATE_LIMITED",
        str(foreign.id): "ACCOUNT_NOT_FOUND",
    }
    for account, person in fine:
        row = _row(account)
        assert row.follower_count == person.follower_count
        assert row.last_sync_error is None
    for account in (revoked, limited, foreign):
        assert snapshot(account) == kept[account.id]
    assert _row(revoked).status == AccountStatus.REVOKED
    assert "TIKTOK_REAUTH_REQUIRED" in _row(revoked).last_sync_error
    assert _row(limited).status == AccountStatus.ACTIVE
    assert "TIKTOK_RATE_LIMITED" in _row(limited).last_sync_error
    assert _row(foreign).last_sync_error is None
    assert_no_secrets(response, revoked, limited, foreign)


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("server_error", "TIKTOK_UPSTREAM_ERROR"),
        ("garbage", "TIKTOK_UPSTREAM_ERROR"),
        ("timeout", "TIKTOK_TIMEOUT"),
    ],
)
def test_batch_item_failure_carries_the_single_sync_code(
    auth_client, user, link_account, fake_tiktok, kind, code
) -> None:
    broken, _ = link_account(user)
    fine, person = link_account(user)
    kept = snapshot(broken)
    fake_tiktok.add_fault("user_info", kind, open_id=broken.open_id)

    body = _batch(auth_client, [broken.id, fine.id]).json()

    drain(fake_tiktok)
    assert [item["code"] for item in body["failed"]] == [code]
    assert [item["id"] for item in body["succeeded"]] == [str(fine.id)]
    assert snapshot(broken) == kept
    assert _row(broken).status == AccountStatus.ACTIVE
    assert _row(fine).follower_count == person.follower_count


# --- database round trips -------------------------------------------------------------------


def _queries_for(client, ids) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = _batch(client, ids)
    assert response.status_code == 200, response.content
    assert len(response.json()["succeeded"]) == len(ids)
    return len(captured.captured_queries)


def test_batch_runs_the_same_number_of_queries_for_1_and_50_ids(
    auth_client, user, link_account, fake_tiktok, django_assert_num_queries
) -> None:
    accounts = [link_account(user)[0] for _ in range(51)]
    auth_client.get("/api/jobs")  # the user and their role are then cached (shared cache)
    expected = _queries_for(auth_client, [accounts[0].id])

    with django_assert_num_queries(expected):
        body = _batch(auth_client, [a.id for a in accounts[1:]]).json()

    assert len(body["succeeded"]) == 50
    assert AuditLog.objects.filter(action="sync").count() == 51


def test_batch_worker_threads_open_no_database_connection(
    auth_client, user, link_account, fake_tiktok
) -> None:
    accounts = [link_account(user)[0] for _ in range(6)]
    opened_in: list[str] = []

    def record(sender, connection, **kwargs) -> None:
        opened_in.append(threading.current_thread().name)

    connection_created.connect(record, weak=False)
    try:
        body = _batch(auth_client, [a.id for a in accounts]).json()
    finally:
        connection_created.disconnect(record)

    assert len(body["succeeded"]) == 6
    assert [name for name in opened_in if name.startswith("batch-sync")] == []


# --- parallelism and the deadline -----------------------------------------------------------


def test_batch_runs_at_most_five_tiktok_calls_at_once(
    auth_client, user, link_account, fake_tiktok
) -> None:
    accounts = [link_account(user)[0] for _ in range(20)]
    fake_tiktok.set_latency(0.3)

    body = _batch(auth_client, [a.id for a in accounts]).json()

    assert len(body["succeeded"]) == 20
    assert body["failed"] == []
    assert fake_tiktok.count("user_info") == 20
    # All five workers busy at once: 20 calls take ~4 x 0.3 s, not 20 x 0.3 s (see bench/).
    assert fake_tiktok.max_in_flight == 5


def test_batch_worker_count_is_configurable(
    auth_client, user, link_account, fake_tiktok, settings
) -> None:
    settings.BATCH_SYNC_MAX_WORKERS = 2
    accounts = [link_account(user)[0] for _ in range(6)]
    fake_tiktok.set_latency(0.2)

    body = _batch(auth_client, [a.id for a in accounts]).json()

    assert len(body["succeeded"]) == 6
    assert fake_tiktok.max_in_flight == 2


def test_batch_answers_timeout_for_accounts_not_done_by_the_deadline(
    auth_client, user, link_account, fake_tiktok, settings
) -> None:
    settings.BATCH_SYNC_TIMEOUT_SECONDS = 0.5
    settings.TIKTOK_TIMEOUT_SECONDS = 5
    accounts = [link_account(user)[0] for _ in range(3)]
    kept = {a.id: snapshot(a) for a in accounts}
    fake_tiktok.set_latency(2)

    response = _batch(auth_client, [a.id for a in accounts])

    fake_tiktok.set_latency(0)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["succeeded"] == []
    assert [item["id"] for item in body["failed"]] == [str(a.id) for a in accounts]
    assert {item["code"] for item in body["failed"]} == {"TIKTOK_TIMEOUT"}
    for account in accounts:
        assert "TIKTOK_TIMEOUT" in _row(account).last_sync_error
    drain(fake_tiktok)
    for account in accounts:
        assert snapshot(account) == kept[account.id]


# --- token refresh inside a batch -----------------------------------------------------------


def _expire_locally(account: TikTokAccount) -> None:
    TikTokAccount.all_objects.filter(pk=account.pk).update(
        access_token_expires_at=timezone.now() - timedelta(minutes=1)
    )


@pytest.mark.django_db(transaction=True)
def test_batch_refreshes_an_expired_token_once_and_stores_the_rotated_tokens(
    auth_client, user, link_account, fake_tiktok
) -> None:
    expired, person = link_account(user)
    fresh, _ = link_account(user)
    _expire_locally(expired)

    body = _batch(auth_client, [expired.id, fresh.id]).json()

    assert {item["id"] for item in body["succeeded"]} == {str(expired.id), str(fresh.id)}
    assert fake_tiktok.count("refresh") == 1
    row = _row(expired)
    assert row.follower_count == person.follower_count
    assert row.refresh_token != expired.refresh_token
    assert row.token_version == expired.token_version + 1
    assert row.access_token_expires_at > timezone.now()
    assert row.refresh_lock_until is None
    # The stored refresh token is the one TikTok rotated to: it still works.
    _expire_locally(expired)
    assert auth_client.post(f"/api/accounts/{expired.id}/sync").status_code == 200
    assert fake_tiktok.count("refresh") == 2


@pytest.mark.django_db(transaction=True)
def test_batch_keeps_rotated_tokens_of_an_account_that_misses_the_deadline(
    auth_client, user, link_account, fake_tiktok, settings
) -> None:
    settings.BATCH_SYNC_TIMEOUT_SECONDS = 0.5
    account, _ = link_account(user)
    _expire_locally(account)
    fake_tiktok.set_latency(0.35)  # refresh done at ~0.35 s, user info at ~0.7 s

    body = _batch(auth_client, [account.id]).json()

    assert [item["code"] for item in body["failed"]] == ["TIKTOK_TIMEOUT"]
    drain(fake_tiktok)
    fake_tiktok.set_latency(0)
    row = _row(account)
    assert fake_tiktok.count("refresh") == 1
    assert row.refresh_token != account.refresh_token
    assert row.token_version == account.token_version + 1
    _expire_locally(account)
    assert auth_client.post(f"/api/accounts/{account.id}/sync").status_code == 200
