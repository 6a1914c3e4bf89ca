"""Members over HTTP: the last owner, personal workspaces, unknown members, audit entries."""

from __future__ import annotations

import uuid

import pytest

from apps.audit.models import AuditLog
from apps.workspaces.models import Membership, Role
from apps.workspaces.personal import personal_workspace_id
from testing.factories import UserFactory
from testing.http import assert_error
from testing.workspaces import client_of, join, make_team, send

pytestmark = pytest.mark.django_db


def _member_url(workspace, user_or_id) -> str:
    user_id = getattr(user_or_id, "pk", user_or_id)
    return f"/api/workspaces/{workspace.id}/members/{user_id}"


def test_the_last_owner_may_not_demote_or_remove_themselves() -> None:
    team = make_team()
    owner = client_of(team.owner)
    url = _member_url(team.workspace, team.owner)

    demoted = send(owner, "PATCH", url, {"role": "admin"})
    left = send(owner, "DELETE", url)

    assert_error(demoted, 409, "LAST_OWNER")
    assert_error(left, 409, "LAST_OWNER")
    assert Membership.objects.get(workspace=team.workspace, user=team.owner).role == Role.OWNER


def test_with_two_owners_one_may_step_down_then_the_other_is_the_last() -> None:
    team = make_team()
    send(client_of(team.owner), "PATCH", _member_url(team.workspace, team.admin), {"role": "owner"})

    stepped_down = send(
        client_of(team.owner), "PATCH", _member_url(team.workspace, team.owner), {"role": "viewer"}
    )
    last = send(client_of(team.admin), "DELETE", _member_url(team.workspace, team.admin))

    assert stepped_down.json()["role"] == "viewer"
    assert_error(last, 409, "LAST_OWNER")


def test_an_owner_may_remove_another_owner() -> None:
    team = make_team()
    second = UserFactory()
    join(team.workspace, second, Role.OWNER)

    response = send(client_of(team.owner), "DELETE", _member_url(team.workspace, second))

    assert response.status_code == 204


def test_the_personal_workspaces_user_can_neither_leave_nor_be_removed_or_demoted(user) -> None:
    personal = user.personal_workspace
    co_owner = UserFactory()
    join(personal, co_owner, Role.OWNER)
    url = _member_url(personal, user)

    left = send(client_of(user), "DELETE", url)
    removed = send(client_of(co_owner), "DELETE", url)
    demoted = send(client_of(co_owner), "PATCH", url, {"role": "viewer"})

    for response in (left, removed, demoted):
        assert_error(response, 409, "WORKSPACE_PERSONAL")
    assert Membership.objects.get(workspace=personal, user=user).role == Role.OWNER


def test_an_unknown_member_is_404_member_not_found() -> None:
    team = make_team()
    outsider = UserFactory()
    owner = client_of(team.owner)

    for user_id in (outsider.pk, 999_999, "not-a-number", uuid.uuid4(), "\uff11"):  # a fullwidth 1
        assert_error(
            send(owner, "DELETE", _member_url(team.workspace, user_id)), 404, "MEMBER_NOT_FOUND"
        )
        assert_error(
            send(owner, "PATCH", _member_url(team.workspace, user_id), {"role": "viewer"}),
            404,
            "MEMBER_NOT_FOUND",
        )


def test_role_changes_and_removals_are_audited() -> None:
    team = make_team()
    owner = client_of(team.owner)

    send(owner, "PATCH", _member_url(team.workspace, team.editor), {"role": "admin"})
    send(owner, "PATCH", _member_url(team.workspace, team.editor), {"role": "admin"})  # no change
    send(owner, "DELETE", _member_url(team.workspace, team.viewer))
    send(client_of(team.admin), "DELETE", _member_url(team.workspace, team.admin))

    entries = AuditLog.objects.filter(workspace=team.workspace).order_by("created_at", "id")
    role, removed, left = entries
    assert (role.action, role.resource_type, role.resource_id) == (
        "member_role",
        "workspace",
        team.workspace.id,
    )
    assert role.changes == {"before": {"role": "editor"}, "after": {"role": "admin"}}
    assert role.metadata["member_user_id"] == team.editor.pk
    assert role.metadata["user_id"] == team.owner.pk
    assert removed.action == "member_remove"
    assert (removed.metadata["user_id_removed"], removed.metadata["left"]) == (
        team.viewer.pk,
        False,
    )
    assert (left.metadata["user_id_removed"], left.metadata["left"]) == (team.admin.pk, True)
    assert left.metadata["user_id"] == team.admin.pk


def test_a_removed_member_no_longer_sees_the_workspace() -> None:
    team = make_team()
    send(client_of(team.owner), "DELETE", _member_url(team.workspace, team.editor))

    response = client_of(team.editor).get(f"/api/workspaces/{team.workspace.id}")

    assert_error(response, 404, "WORKSPACE_NOT_FOUND")
    ids = [w["id"] for w in client_of(team.editor).get("/api/workspaces").json()["items"]]
    assert ids == [str(personal_workspace_id(team.editor.pk))]


def test_a_role_of_unknown_name_is_422() -> None:
    team = make_team()

    response = send(
        client_of(team.owner), "PATCH", _member_url(team.workspace, team.viewer), {"role": "boss"}
    )

    assert response.status_code == 422
