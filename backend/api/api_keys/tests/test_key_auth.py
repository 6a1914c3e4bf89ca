"""Calling the API with a key: its workspace only, refused when unknown or expired, its scopes
and its user's current role both apply, last_used_at at most once a minute. Revocation and
the other changes seen at the next request: test_key_cache.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.api_keys.models import ApiKey, Scope
from apps.audit.models import AuditLog
from apps.workspaces.models import Membership, Role
from testing.api_keys import key_header, make_api_key, team_workspace
from testing.factories import TikTokAccountFactory, personal_workspace
from testing.http import assert_error, post_json

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 1, 12, 0, 30, tzinfo=UTC)
ACCOUNTS = "/api/accounts"


def _client(key: str, **headers: str) -> Client:
    return Client(headers={**key_header(key), **headers})


def test_a_key_acts_in_its_workspace_without_a_header(user, other_user) -> None:
    team = team_workspace((user, Role.VIEWER), (other_user, Role.OWNER))
    in_team = TikTokAccountFactory(user=other_user, workspace=team)
    TikTokAccountFactory(user=user)  # in the personal workspace: not the key's
    _, key = make_api_key(user, [Scope.READ], workspace=team)

    response = _client(key).get(ACCOUNTS)

    assert response.status_code == 200, response.content
    assert [item["id"] for item in response.json()["items"]] == [str(in_team.id)]
    same = _client(key, **{"X-Workspace-Id": str(team.id)}).get(ACCOUNTS)
    assert same.json() == response.json()


def test_a_key_naming_another_workspace_is_404(user) -> None:
    _, key = make_api_key(user)
    team = team_workspace((user, Role.OWNER))

    for other in (team.id, uuid.uuid4()):
        response = _client(key, **{"X-Workspace-Id": str(other)}).get(ACCOUNTS)
        assert_error(response, 404, "WORKSPACE_NOT_FOUND")
    malformed = _client(key, **{"X-Workspace-Id": "nope"}).get(ACCOUNTS)
    assert malformed.status_code == 422


def _refused(key: str) -> None:
    assert_error(_client(key).get(ACCOUNTS), 401, "NOT_AUTHENTICATED")
    assert_error(_client(key).get("/api/auth/me"), 401, "NOT_AUTHENTICATED")


def test_unknown_keys_are_refused(user) -> None:
    _, key = make_api_key(user)
    _refused(key[:-1] + ("A" if key[-1] != "A" else "B"))
    _refused("tta_")


def test_an_expired_key_is_refused() -> None:
    with time_machine.travel(NOW, tick=False) as clock:
        from testing.factories import UserFactory

        user = UserFactory()
        _, key = make_api_key(user, expires_at=NOW + timedelta(hours=1))
        assert _client(key).get(ACCOUNTS).status_code == 200
        clock.move_to(NOW + timedelta(minutes=59, seconds=59))
        assert _client(key).get(ACCOUNTS).status_code == 200
        clock.move_to(NOW + timedelta(hours=1))
        _refused(key)


def test_a_key_is_limited_by_its_scopes(user) -> None:
    account = TikTokAccountFactory(user=user)
    _, reader = make_api_key(user, [Scope.READ])
    _, writer = make_api_key(user, [Scope.WRITE])

    assert_error(_client(writer).get(ACCOUNTS), 403, "INSUFFICIENT_SCOPE")
    refused = _client(reader).delete(f"{ACCOUNTS}/{account.id}")
    assert_error(refused, 403, "INSUFFICIENT_SCOPE")
    assert "write" in refused.json()["detail"]
    post = post_json(_client(writer), f"{ACCOUNTS}/{account.id}/posts", {"media_type": "gif"})
    assert post.status_code == 422  # input first, as for a role
    assert _client(writer).delete(f"/api/posts/{uuid.uuid4()}").json()["code"] == (
        "INSUFFICIENT_SCOPE"
    )
    assert _client(writer).delete(f"{ACCOUNTS}/{account.id}").status_code == 204


def test_a_key_is_limited_by_its_users_current_role(user, other_user) -> None:
    team = team_workspace((user, Role.ADMIN), (other_user, Role.OWNER))
    account = TikTokAccountFactory(user=other_user, workspace=team)
    _, key = make_api_key(user, [Scope.WRITE, Scope.READ], workspace=team)
    membership = Membership.objects.get(workspace=team, user=user)
    membership.role = Role.VIEWER
    membership.save()

    response = _client(key).delete(f"{ACCOUNTS}/{account.id}")

    body = assert_error(response, 403, "INSUFFICIENT_ROLE")
    assert "admin" in body["detail"]
    assert _client(key).get(ACCOUNTS).status_code == 200


def test_entries_written_with_a_key_name_it(user) -> None:
    account = TikTokAccountFactory(user=user)
    api_key, key = make_api_key(user, [Scope.WRITE])

    assert _client(key).delete(f"{ACCOUNTS}/{account.id}").status_code == 204

    entry = AuditLog.objects.get(action="delete")
    assert entry.metadata["api_key_id"] == str(api_key.id)
    assert entry.metadata["user_id"] == user.pk
    created = AuditLog.objects.get(action="api_key_create")
    assert "api_key_id" not in created.metadata  # made with a login, not a key


def _updates(queries: CaptureQueriesContext) -> int:
    return sum("UPDATE" in query["sql"] for query in queries.captured_queries)


def test_last_used_at_is_written_at_most_once_a_minute() -> None:
    with time_machine.travel(NOW, tick=False) as clock:
        from testing.factories import UserFactory

        user = UserFactory()
        api_key, key = make_api_key(user)
        client = _client(key)
        with CaptureQueriesContext(connection) as queries:
            for _ in range(3):
                assert client.get(ACCOUNTS).status_code == 200
        assert _updates(queries) == 1
        api_key.refresh_from_db()
        assert api_key.last_used_at == NOW

        clock.move_to(NOW + timedelta(seconds=29))  # 12:00:59, the same clock minute
        with CaptureQueriesContext(connection) as queries:
            assert client.get(ACCOUNTS).status_code == 200
        assert _updates(queries) == 0
        clock.move_to(NOW + timedelta(seconds=30))  # 12:01:00
        with CaptureQueriesContext(connection) as queries:
            assert client.get(ACCOUNTS).status_code == 200
        assert _updates(queries) == 1
        api_key.refresh_from_db()
        assert api_key.last_used_at == NOW + timedelta(seconds=30)


def test_the_key_never_appears_after_creation(user) -> None:
    api_key, key = make_api_key(user)
    stored = ApiKey.objects.get(pk=api_key.pk)

    bodies = [
        _client(key).get(ACCOUNTS).content,
        _client(key).get("/api/auth/me").content,
        _client(key).post("/api/api-keys", {}, content_type="application/json").content,
        _client(key + "x").get(ACCOUNTS).content,
        _client(key, **{"X-Workspace-Id": "nope"}).get(ACCOUNTS).content,
    ]

    for body in bodies:
        assert key.encode() not in body
        assert stored.key_hash.encode() not in body


def test_a_key_reaches_only_its_own_workspace_by_path_too(user) -> None:
    """`/api/workspaces/{id}` routes name the workspace in the path: another one than the
    key's is 404, as with the header, even where the key's user is a member."""
    team = team_workspace((user, Role.OWNER))
    _, key = make_api_key(user, scopes=[Scope.READ])
    client = Client(headers=key_header(key))

    assert_error(client.get(f"/api/workspaces/{team.pk}"), 404, "WORKSPACE_NOT_FOUND")
    assert client.get(f"/api/workspaces/{personal_workspace(user).pk}").status_code == 200
