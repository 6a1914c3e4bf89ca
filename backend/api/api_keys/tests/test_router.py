"""/api/api-keys: create, list, revoke; the key shown once, its hash never; login only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from apps.api_keys.access import api_key_hash
from apps.api_keys.models import ApiKey
from apps.audit.models import AuditLog
from apps.workspaces.models import Role
from apps.workspaces.personal import personal_workspace_id
from testing.api_keys import key_header, make_api_key, team_workspace
from testing.http import assert_error, assert_validation_error, bearer_header, post_json

pytestmark = pytest.mark.django_db

URL = "/api/api-keys"
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
OUT_FIELDS = {
    "id",
    "name",
    "prefix",
    "scopes",
    "workspace_id",
    "created_at",
    "expires_at",
    "last_used_at",
}


@pytest.fixture(autouse=True)
def _clock():
    """Every test at NOW (ticking): tokens and keys are issued at the instants it names."""
    with time_machine.travel(NOW, tick=True):
        yield


def _create(client: Client, **body: object) -> object:
    return post_json(client, URL, {"name": "ci", "scopes": ["read"], **body})


def test_create_answers_the_key_once_and_stores_only_its_hash_and_prefix(auth_client, user):
    response = _create(auth_client, scopes=["read", "publish"])

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == OUT_FIELDS | {"key"}
    key = body["key"]
    assert re.fullmatch(r"tta_[A-Za-z0-9_-]{40,}", key)
    assert body["prefix"] == key[:12]
    assert body["scopes"] == ["publish", "read"]
    assert body["workspace_id"] == str(personal_workspace_id(user.pk))
    assert body["last_used_at"] is None
    stored = ApiKey.objects.get()
    assert stored.key_hash == api_key_hash(key)
    assert key not in {str(value) for value in stored.__dict__.values()}
    listed = auth_client.get(URL)
    assert key not in listed.content.decode()
    assert stored.key_hash not in listed.content.decode() + response.content.decode()


def test_two_keys_differ(auth_client) -> None:
    assert _create(auth_client).json()["key"] != _create(auth_client).json()["key"]


def test_create_acts_in_the_named_workspace_and_audits_there(user, other_user) -> None:
    team = team_workspace((user, Role.VIEWER), (other_user, Role.OWNER))
    client = Client(headers={**bearer_header(user), "X-Workspace-Id": str(team.id)})

    response = _create(client)

    assert response.status_code == 201, response.content
    assert response.json()["workspace_id"] == str(team.id)
    entry = AuditLog.objects.get(action="api_key_create")
    assert (entry.workspace_id, entry.resource_type) == (team.id, "api_key")
    assert str(entry.resource_id) == response.json()["id"]
    assert entry.metadata["user_id"] == user.pk
    assert response.json()["key"] not in str(entry.metadata)


def test_create_in_a_workspace_the_caller_is_not_in_is_404(user, other_user) -> None:
    theirs = team_workspace((other_user, Role.OWNER))
    client = Client(headers={**bearer_header(user), "X-Workspace-Id": str(theirs.id)})

    assert_error(_create(client), 404, "WORKSPACE_NOT_FOUND")
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"scopes": []},
        {"scopes": ["admin"]},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 101},
        {"expires_at": "2027-03-01T11:59:59Z"},
        {"expires_at": "2028-03-02T12:00:01Z"},
        {"key": "tta_mine"},
    ],
)
def test_create_refuses_invalid_input(auth_client, body) -> None:
    with time_machine.travel(NOW, tick=False):
        assert_validation_error(_create(auth_client, **body))
    assert not ApiKey.objects.exists()


def test_expires_at_up_to_366_days_ahead_is_accepted(auth_client) -> None:
    with time_machine.travel(NOW, tick=False):
        response = _create(auth_client, expires_at="2028-03-01T12:00:00Z")
        naive = _create(auth_client, expires_at="2027-03-01T13:00:00")

    assert response.status_code == 201, response.content
    assert response.json()["expires_at"].startswith("2028-03-01T12:00:00")
    assert naive.json()["expires_at"].startswith("2027-03-01T13:00:00")


def test_list_shows_the_callers_live_keys_newest_first(auth_client, user, other_user) -> None:
    with time_machine.travel(NOW, tick=False):
        older, _ = make_api_key(user)
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        newer, _ = make_api_key(user)
        revoked, _ = make_api_key(user)
    auth_client.delete(f"{URL}/{revoked.id}")
    make_api_key(other_user)

    body = auth_client.get(URL).json()

    assert [item["id"] for item in body["items"]] == [str(newer.id), str(older.id)]
    assert all(set(item) == OUT_FIELDS for item in body["items"])


def test_revoke_audits_and_hides_the_key(auth_client, user) -> None:
    api_key, _ = make_api_key(user)

    response = auth_client.delete(f"{URL}/{api_key.id}")

    assert response.status_code == 204
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    entry = AuditLog.objects.get(action="api_key_revoke")
    assert (entry.workspace_id, entry.resource_id) == (api_key.workspace_id, api_key.id)
    assert_error(auth_client.delete(f"{URL}/{api_key.id}"), 404, "API_KEY_NOT_FOUND")


def test_another_users_key_cannot_be_revoked(auth_client, other_user) -> None:
    theirs, _ = make_api_key(other_user)

    assert_error(auth_client.delete(f"{URL}/{theirs.id}"), 404, "API_KEY_NOT_FOUND")
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_creation_counts_against_the_manage_limit(auth_client, settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "manage": "2/m"}
    with time_machine.travel(NOW, tick=False):
        assert _create(auth_client).status_code == 201
        assert _create(auth_client).status_code == 201
        response = _create(auth_client)

    assert_error(response, 429, "RATE_LIMITED")
    assert int(response["Retry-After"]) >= 1
    assert ApiKey.objects.count() == 2


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", URL, '{"name": "x", "scopes": ["read"]}'),
        ("GET", URL, ""),
        ("DELETE", f"{URL}/{{id}}", ""),
        ("POST", "/api/auth/logout", '{"refresh": "x"}'),
    ],
)
def test_login_only_routes_refuse_every_key(user, method, path, body) -> None:
    """Once the input is valid (as for a role): 422 comes first, like everywhere."""
    api_key, key = make_api_key(user)

    response = Client(headers=key_header(key)).generic(
        method, path.format(id=api_key.id), data=body, content_type="application/json"
    )

    assert_error(response, 403, "INSUFFICIENT_SCOPE")
    assert ApiKey.objects.count() == 1


def test_token_refresh_refuses_a_key(user) -> None:
    _, key = make_api_key(user)

    response = post_json(
        Client(headers=key_header(key)), "/api/auth/token/refresh", {"refresh": "x"}
    )

    assert_error(response, 403, "INSUFFICIENT_SCOPE")


def test_me_answers_the_keys_user(user) -> None:
    _, key = make_api_key(user)

    response = Client(headers=key_header(key)).get("/api/auth/me")

    assert response.status_code == 200
    assert response.json()["id"] == user.pk
