"""POST /api/accounts/connect/start and /connect/complete against the fake TikTok."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client

from apps.audit.models import AuditLog
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.tiktok_accounts.services import connect
from apps.workspaces.personal import personal_workspace_id
from testing.accounts import (
    ACCOUNT_DETAIL_FIELDS,
    assert_no_secrets,
    drain,
    new_open_id,
    stored_ciphertexts,
)
from testing.factories import personal_workspace
from testing.http import assert_error, assert_validation_error, bearer_header, post_json

pytestmark = pytest.mark.django_db

START = "/api/accounts/connect/start"
COMPLETE = "/api/accounts/connect/complete"


def _start(client) -> str:
    response = client.post(START)
    assert response.status_code == 200, response.content
    return response.json()["state"]


def _complete(client, code: str, state: str):
    return post_json(client, COMPLETE, {"code": code, "state": state})


@pytest.fixture
def person(fake_tiktok):
    return fake_tiktok.add_identity(
        open_id=new_open_id(),
        username="café_crème",
        display_name="Café Crème ☕",
        bio_description="Coffee 東京",
        follower_count=4_321,
        following_count=12,
        likes_count=99_000,
        video_count=42,
        is_verified=True,
    )


def _connect(client, fake, open_id: str, scopes=None):
    return _complete(client, fake.issue_code(open_id, scopes), _start(client))


# --- start ----------------------------------------------------------------------------------


def test_connect_start_answers_tiktoks_authorize_url(auth_client, user, fake_tiktok) -> None:
    response = auth_client.post(START)

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"authorize_url", "state"}
    url = urlsplit(body["authorize_url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == django_settings.TIKTOK_AUTHORIZE_URL
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    assert query["client_key"] == django_settings.TIKTOK_CLIENT_KEY
    assert set(query["scope"].split(",")) == {
        "user.info.basic",
        "user.info.profile",
        "user.info.stats",
        "video.list",
        "video.publish",
        "video.upload",
    }
    assert query["response_type"] == "code"
    assert query["redirect_uri"] == django_settings.TIKTOK_REDIRECT_URI
    assert query["state"] == body["state"]
    assert query["disable_auto_auth"] == "1"
    assert "client_secret" not in query
    assert django_settings.TIKTOK_CLIENT_SECRET not in body["authorize_url"]


def test_connect_start_gives_a_new_random_state_each_time(auth_client, user) -> None:
    states = {_start(auth_client) for _ in range(5)}

    assert len(states) == 5
    assert all(len(state) >= 32 for state in states)


# --- complete -------------------------------------------------------------------------------


def test_connect_complete_creates_the_account_201(auth_client, user, fake_tiktok, person) -> None:
    response = _connect(auth_client, fake_tiktok, person.open_id)

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == ACCOUNT_DETAIL_FIELDS
    assert body["open_id"] == person.open_id
    assert body["username"] == "café_crème"
    assert body["display_name"] == "Café Crème ☕"
    assert body["bio_description"] == "Coffee 東京"
    assert body["follower_count"] == 4_321
    assert body["is_verified"] is True
    assert body["status"] == "active"
    assert body["scopes"] == sorted(django_settings.TIKTOK_SCOPES)
    assert body["last_sync_error"] is None
    account = TikTokAccount.objects.get(pk=body["id"])
    assert account.workspace_id == personal_workspace_id(user.pk)
    assert account.access_token.startswith("act.")
    assert account.refresh_token.startswith("rft.")
    assert_no_secrets(response, account)
    listed = auth_client.get("/api/accounts").json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]


def test_connect_complete_stores_tokens_encrypted(auth_client, user, fake_tiktok, person) -> None:
    body = _connect(auth_client, fake_tiktok, person.open_id).json()
    account = TikTokAccount.objects.get(pk=body["id"])

    for stored in stored_ciphertexts(account):
        assert stored.startswith("gAAAAA")
        assert account.access_token not in stored
        assert account.refresh_token not in stored


def test_connect_same_tiktok_user_again_replaces_tokens_200(
    auth_client, user, fake_tiktok, person
) -> None:
    first = _connect(auth_client, fake_tiktok, person.open_id).json()
    old = TikTokAccount.objects.get(pk=first["id"])
    TikTokAccount.objects.filter(pk=old.pk).update(status=AccountStatus.TOKEN_EXPIRED)
    person.follower_count = 5_000

    response = _connect(auth_client, fake_tiktok, person.open_id)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == first["id"]
    assert body["status"] == "active"
    assert body["follower_count"] == 5_000
    new = TikTokAccount.objects.get(pk=first["id"])
    assert new.access_token != old.access_token
    assert new.refresh_token != old.refresh_token
    assert (
        TikTokAccount.all_objects.filter(
            workspace=personal_workspace(user), open_id=person.open_id
        ).count()
        == 1
    )
    assert auth_client.get("/api/accounts").json()["total"] == 1


# transaction=True: cached reads go stale when a write commits, as in production.
@pytest.mark.django_db(transaction=True)
def test_connect_after_delete_restores_the_account_200(
    auth_client, user, fake_tiktok, person
) -> None:
    first = _connect(auth_client, fake_tiktok, person.open_id).json()
    assert auth_client.delete(f"/api/accounts/{first['id']}").status_code == 204
    assert auth_client.get("/api/accounts").json()["total"] == 0

    response = _connect(auth_client, fake_tiktok, person.open_id)

    assert response.status_code == 200, response.content
    assert response.json()["id"] == first["id"]
    assert response.json()["status"] == "active"
    listed = auth_client.get("/api/accounts").json()
    assert [item["id"] for item in listed["items"]] == [first["id"]]
    assert auth_client.get(f"/api/accounts/{first['id']}").status_code == 200
    assert auth_client.post(f"/api/accounts/{first['id']}/sync").status_code == 200


def test_connect_same_tiktok_user_by_two_users_makes_two_accounts(
    auth_client, other_client, user, other_user, fake_tiktok, person
) -> None:
    mine = _connect(auth_client, fake_tiktok, person.open_id)
    theirs = _connect(other_client, fake_tiktok, person.open_id)

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]


def test_connect_writes_connect_then_reconnect_audit_entries(
    auth_client, user, fake_tiktok, person
) -> None:
    account_id = _connect(auth_client, fake_tiktok, person.open_id).json()["id"]
    _connect(auth_client, fake_tiktok, person.open_id)

    entries = AuditLog.objects.filter(resource_id=account_id).order_by("created_at", "id")
    assert [entry.action for entry in entries] == ["connect", "reconnect"]
    assert {entry.user_id for entry in entries} == {user.pk}
    assert {entry.resource_type for entry in entries} == {"tiktok_account"}
    for entry in entries:
        text = str(entry.changes) + str(entry.metadata)
        assert "act." not in text
        assert "rft." not in text


# --- state ----------------------------------------------------------------------------------


def test_connect_state_is_single_use(auth_client, user, fake_tiktok, person) -> None:
    state = _start(auth_client)
    assert _complete(auth_client, fake_tiktok.issue_code(person.open_id), state).status_code == 201

    response = _complete(auth_client, fake_tiktok.issue_code(person.open_id), state)

    assert_error(response, 400, "INVALID_STATE")


def test_connect_unknown_state_is_invalid_state(auth_client, user, fake_tiktok, person) -> None:
    response = _complete(auth_client, fake_tiktok.issue_code(person.open_id), "made-up-state")

    assert_error(response, 400, "INVALID_STATE")
    assert fake_tiktok.count("token") == 0
    assert not TikTokAccount.objects.filter(open_id=person.open_id).exists()


@pytest.mark.parametrize("state", ["s" * 256, "has spaces\tand a tab"], ids=["longest", "spaces"])
def test_connect_any_allowed_state_is_invalid_state_not_500(
    auth_client, user, fake_tiktok, person, state: str
) -> None:
    # Found by the OpenAPI fuzzer: such a state made a cache key Django refuses (over 250
    # characters, or spaces), a 500 under the warnings-as-errors test settings.
    response = _complete(auth_client, fake_tiktok.issue_code(person.open_id), state)

    assert_error(response, 400, "INVALID_STATE")


def test_connect_another_users_state_is_invalid_state(
    auth_client, other_client, user, other_user, fake_tiktok, person
) -> None:
    their_state = _start(other_client)

    response = _complete(auth_client, fake_tiktok.issue_code(person.open_id), their_state)

    assert_error(response, 400, "INVALID_STATE")
    assert not TikTokAccount.objects.filter(open_id=person.open_id).exists()
    assert fake_tiktok.count("token") == 0


def test_connect_expired_state_is_invalid_state(
    auth_client, user, fake_tiktok, person, monkeypatch
) -> None:
    state = _start(auth_client)
    later = time.time() + connect.OAUTH_STATE_TTL_SECONDS + 1
    # Only the service's clock moves on: the fake's code stays valid.
    clock = SimpleNamespace(time=lambda: later, monotonic=time.monotonic, sleep=time.sleep)
    monkeypatch.setattr(connect, "time", clock)

    response = _complete(auth_client, fake_tiktok.issue_code(person.open_id), state)

    assert_error(response, 400, "INVALID_STATE")


def test_connect_code_refused_by_tiktok_is_invalid_state(
    auth_client, user, fake_tiktok, person
) -> None:
    response = _complete(auth_client, "code-tiktok-never-issued", _start(auth_client))

    assert_error(response, 400, "INVALID_STATE")
    assert fake_tiktok.count("token") == 1
    assert not TikTokAccount.all_objects.exists()


def test_connect_missing_scope_is_scopes_denied_and_stores_nothing(
    auth_client, user, fake_tiktok, person
) -> None:
    response = _connect(
        auth_client, fake_tiktok, person.open_id, scopes=["user.info.basic", "user.info.profile"]
    )

    assert_error(response, 400, "TIKTOK_SCOPES_DENIED")
    assert not TikTokAccount.all_objects.exists()
    assert not AuditLog.objects.exists()
    assert fake_tiktok.count("user_info") == 0


@pytest.mark.parametrize(
    ("endpoint", "kind", "status", "code"),
    [
        ("token", "server_error", 502, "TIKTOK_UPSTREAM_ERROR"),
        ("token", "garbage", 502, "TIKTOK_UPSTREAM_ERROR"),
        ("token", "timeout", 504, "TIKTOK_TIMEOUT"),
        ("token", "rate_limit", 429, "TIKTOK_RATE_LIMITED"),
        ("user_info", "server_error", 502, "TIKTOK_UPSTREAM_ERROR"),
        ("user_info", "timeout", 504, "TIKTOK_TIMEOUT"),
    ],
)
def test_connect_tiktok_failure_answers_its_contract_code_and_stores_nothing(
    auth_client, user, fake_tiktok, person, endpoint, kind, status, code
) -> None:
    fake_tiktok.add_fault(endpoint, kind)

    response = _connect(auth_client, fake_tiktok, person.open_id)

    assert_error(response, status, code)
    assert not TikTokAccount.all_objects.exists()
    # A grant TikTok issued but we could not use is revoked, not left orphaned.
    assert fake_tiktok.count("revoke") == (1 if endpoint == "user_info" else 0)
    drain(fake_tiktok)


@pytest.mark.parametrize(
    "payload",
    [{}, {"code": "x"}, {"state": "x"}, {"code": "", "state": "x"}, {"code": "x", "state": ""}],
)
def test_connect_complete_rejects_malformed_bodies(auth_client, user, payload) -> None:
    assert_validation_error(post_json(auth_client, COMPLETE, payload))


# --- races ----------------------------------------------------------------------------------


def _in_threads(calls) -> list:
    results: list = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(index: int, call) -> None:
        try:
            barrier.wait()
            results[index] = call()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_connect_state_used_twice_at_once_succeeds_only_once(user, fake_tiktok, person) -> None:
    headers = bearer_header(user)
    state = _start(Client(headers=headers))
    codes = [fake_tiktok.issue_code(person.open_id) for _ in range(2)]

    responses = _in_threads(
        [lambda code=code: _complete(Client(headers=headers), code, state) for code in codes]
    )

    assert sorted(r.status_code for r in responses) == [201, 400]
    assert TikTokAccount.all_objects.filter(open_id=person.open_id).count() == 1


@pytest.mark.django_db(transaction=True)
def test_connect_same_tiktok_user_twice_at_once_keeps_one_account(
    user, fake_tiktok, person
) -> None:
    headers = bearer_header(user)
    pairs = [
        (_start(Client(headers=headers)), fake_tiktok.issue_code(person.open_id)) for _ in range(2)
    ]

    responses = _in_threads(
        [
            lambda state=state, code=code: _complete(Client(headers=headers), code, state)
            for state, code in pairs
        ]
    )

    assert sorted(r.status_code for r in responses) == [200, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert (
        TikTokAccount.all_objects.filter(
            workspace=personal_workspace(user), open_id=person.open_id
        ).count()
        == 1
    )
