"""Invitations over HTTP: a token shown once, pending ones listed, expiry, single use, revoke."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from apps.audit.models import AuditLog
from apps.workspaces.models import Invitation, Membership, Role
from testing.factories import UserFactory
from testing.http import assert_error
from testing.workspaces import client_of, make_team, send

pytestmark = pytest.mark.django_db

START = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
ACCEPT = "/api/invitations/accept"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _invite(team, role: str = "editor") -> dict:
    url = f"/api/workspaces/{team.workspace.id}/invitations"
    response = send(client_of(team.admin), "POST", url, {"role": role})
    assert response.status_code == 201, response.content
    return response.json()


def test_created_invitation_shows_its_token_once_and_stores_only_its_hash(clock) -> None:
    team = make_team()

    body = _invite(team)

    assert set(body) == {"id", "role", "token", "created_at", "expires_at"}
    assert body["role"] == "editor"
    assert len(body["token"]) >= 43  # token_urlsafe(32): 256 random bits
    assert datetime.fromisoformat(body["expires_at"]) == START + timedelta(hours=168)
    stored = Invitation.objects.get(id=body["id"])
    assert stored.token_hash == hashlib.sha256(body["token"].encode()).hexdigest()
    assert body["token"] not in str(list(Invitation.objects.values()))
    entry = AuditLog.objects.get(action="invitation_create")
    assert entry.metadata["invitation_id"] == body["id"]
    assert entry.metadata["role"] == "editor"
    assert body["token"] not in str(entry.metadata)


def test_the_ttl_is_a_setting(clock, settings) -> None:
    settings.INVITATION_TTL_HOURS = 2

    body = _invite(make_team())

    assert datetime.fromisoformat(body["expires_at"]) == START + timedelta(hours=2)


def test_an_owner_may_not_invite_an_owner() -> None:
    team = make_team()
    url = f"/api/workspaces/{team.workspace.id}/invitations"

    response = send(client_of(team.owner), "POST", url, {"role": "owner"})

    assert response.status_code == 422


def test_only_pending_invitations_are_listed_without_token(clock) -> None:
    team = make_team()
    used, revoked, expiring, pending = (_invite(team) for _ in range(4))
    send(client_of(UserFactory()), "POST", ACCEPT, {"token": used["token"]})
    base = f"/api/workspaces/{team.workspace.id}/invitations"
    send(client_of(team.admin), "DELETE", f"{base}/{revoked['id']}")
    Invitation.objects.filter(id=expiring["id"]).update(expires_at=START + timedelta(hours=1))
    clock.shift(timedelta(hours=1))

    items = client_of(team.admin).get(base).json()["items"]

    assert [item["id"] for item in items] == [pending["id"]]
    assert set(items[0]) == {"id", "role", "created_at", "expires_at"}


def test_accept_joins_with_the_invitations_role(clock) -> None:
    team = make_team()
    invitation = _invite(team, "viewer")
    newcomer = UserFactory()

    response = send(client_of(newcomer), "POST", ACCEPT, {"token": invitation["token"]})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["role"], body["member_count"]) == (str(team.workspace.id), "viewer", 5)
    assert Membership.objects.get(workspace=team.workspace, user=newcomer).role == Role.VIEWER
    stored = Invitation.objects.get(id=invitation["id"])
    assert (stored.used_at, stored.used_by_id) == (START, newcomer.pk)
    entry = AuditLog.objects.get(action="member_join")
    assert entry.workspace_id == team.workspace.id
    assert entry.resource_type == "workspace"
    assert entry.metadata["role"] == "viewer"
    assert entry.metadata["invitation_id"] == invitation["id"]
    assert entry.metadata["user_id"] == newcomer.pk


def test_an_invitation_is_single_use(clock) -> None:
    invitation = _invite(make_team())
    send(client_of(UserFactory()), "POST", ACCEPT, {"token": invitation["token"]})

    again = send(client_of(UserFactory()), "POST", ACCEPT, {"token": invitation["token"]})

    assert_error(again, 400, "INVALID_INVITATION")


def test_an_invitation_expires_after_its_ttl(clock) -> None:
    invitation = _invite(make_team())

    clock.shift(timedelta(hours=168) - timedelta(seconds=1))
    in_time = send(client_of(UserFactory()), "POST", ACCEPT, {"token": invitation["token"]})
    late_invitation = _invite(make_team())
    clock.shift(timedelta(hours=168))
    late = send(client_of(UserFactory()), "POST", ACCEPT, {"token": late_invitation["token"]})

    assert in_time.status_code == 200
    assert_error(late, 400, "INVALID_INVITATION")


def test_unknown_and_revoked_tokens_are_refused_alike(clock) -> None:
    team = make_team()
    invitation = _invite(team)
    base = f"/api/workspaces/{team.workspace.id}/invitations"
    assert send(client_of(team.admin), "DELETE", f"{base}/{invitation['id']}").status_code == 204
    caller = client_of(UserFactory())

    revoked = send(caller, "POST", ACCEPT, {"token": invitation["token"]})
    unknown = send(caller, "POST", ACCEPT, {"token": "no-such-token"})

    assert_error(revoked, 400, "INVALID_INVITATION")
    assert revoked.json() == unknown.json()
    assert AuditLog.objects.filter(action="invitation_revoke").count() == 1


def test_a_member_accepting_is_409_and_the_invitation_stays_unused(clock) -> None:
    team = make_team()
    invitation = _invite(team)

    response = send(client_of(team.viewer), "POST", ACCEPT, {"token": invitation["token"]})

    assert_error(response, 409, "ALREADY_MEMBER")
    assert Membership.objects.get(workspace=team.workspace, user=team.viewer).role == Role.VIEWER
    assert Invitation.objects.get(id=invitation["id"]).used_at is None
    newcomer = UserFactory()
    assert (
        send(client_of(newcomer), "POST", ACCEPT, {"token": invitation["token"]}).status_code == 200
    )


def test_revoke_answers_404_for_a_used_revoked_or_other_workspaces_invitation(clock) -> None:
    team, other = make_team(), make_team("Other team")
    used, revoked, theirs = _invite(team), _invite(team), _invite(other)
    send(client_of(UserFactory()), "POST", ACCEPT, {"token": used["token"]})
    base = f"/api/workspaces/{team.workspace.id}/invitations"
    admin = client_of(team.admin)
    send(admin, "DELETE", f"{base}/{revoked['id']}")

    for invitation_id in (used["id"], revoked["id"], theirs["id"], uuid.uuid4()):
        assert_error(send(admin, "DELETE", f"{base}/{invitation_id}"), 404, "INVITATION_NOT_FOUND")
    assert Invitation.objects.get(id=theirs["id"]).revoked_at is None


def test_someone_elses_personal_workspace_can_be_joined_and_left(user, clock) -> None:
    owner = UserFactory()
    personal = owner.personal_workspace
    url = f"/api/workspaces/{personal.id}/invitations"
    token = send(client_of(owner), "POST", url, {"role": "editor"}).json()["token"]

    joined = send(client_of(user), "POST", ACCEPT, {"token": token})
    left = send(client_of(user), "DELETE", f"/api/workspaces/{personal.id}/members/{user.pk}")

    assert (joined.status_code, joined.json()["personal"]) == (200, True)
    assert left.status_code == 204


def test_accepting_needs_a_token() -> None:
    response = send(client_of(UserFactory()), "POST", ACCEPT, {})

    assert response.status_code == 422


def test_join_is_not_joined_twice_by_a_second_invitation(clock) -> None:
    team = make_team()
    first, second = _invite(team), _invite(team)
    newcomer = UserFactory()
    send(client_of(newcomer), "POST", ACCEPT, {"token": first["token"]})

    response = send(client_of(newcomer), "POST", ACCEPT, {"token": second["token"]})

    assert_error(response, 409, "ALREADY_MEMBER")
    assert Invitation.objects.get(id=second["id"]).used_at is None
