"""The contract's roles table on the workspace routes: each role x each action.

The expected answers are written out as the table says them, not computed by the code under
test: `viewer` reads, `admin` renames, invites and manages editors and viewers, `owner` does
anything; a 403 names the least role that may.
"""

from __future__ import annotations

import pytest

from apps.workspaces.models import Membership, Role
from config.api import api
from testing.http import assert_error
from testing.workspaces import client_of, join, make_team, send

pytestmark = pytest.mark.django_db

ROLES = [Role.OWNER, Role.ADMIN, Role.EDITOR, Role.VIEWER]
# (target's role, new role) pairs each acting role may set on ANOTHER member.
MAY_CHANGE = {
    Role.OWNER: {(t, n) for t in ROLES for n in ROLES},
    Role.ADMIN: {(t, n) for t in (Role.EDITOR, Role.VIEWER) for n in (Role.EDITOR, Role.VIEWER)},
    Role.EDITOR: set(),
    Role.VIEWER: set(),
}
MAY_REMOVE = {
    Role.OWNER: set(ROLES),
    Role.ADMIN: {Role.EDITOR, Role.VIEWER},
    Role.EDITOR: set(),
    Role.VIEWER: set(),
}
MAY_INVITE = {
    Role.OWNER: {Role.ADMIN, Role.EDITOR, Role.VIEWER},
    Role.ADMIN: {Role.EDITOR, Role.VIEWER},
    Role.EDITOR: set(),
    Role.VIEWER: set(),
}


def _least_role_named(response, role: Role) -> None:
    body = assert_error(response, 403, "INSUFFICIENT_ROLE")
    assert role.value in body["detail"]


@pytest.mark.parametrize("actor", ROLES)
@pytest.mark.parametrize("target", ROLES)
@pytest.mark.parametrize("new", ROLES)
def test_changing_another_members_role(actor: Role, target: Role, new: Role) -> None:
    team = make_team()
    if actor == target:  # acting on another member of the same role
        join(team.workspace, other := make_team("spare").viewer, target)
    else:
        other = team.member(target)
    url = f"/api/workspaces/{team.workspace.id}/members/{other.pk}"

    response = send(client_of(team.member(actor)), "PATCH", url, {"role": new.value})

    stored = Membership.objects.get(workspace=team.workspace, user=other).role
    if (target, new) in MAY_CHANGE[actor]:
        assert response.status_code == 200, response.content
        assert response.json()["role"] == new.value
        assert stored == new
    else:
        _least_role_named(response, Role.OWNER if actor.at_least(Role.ADMIN) else Role.ADMIN)
        assert stored == target


@pytest.mark.parametrize("actor", ROLES)
@pytest.mark.parametrize("target", ROLES)
def test_removing_another_member(actor: Role, target: Role) -> None:
    team = make_team()
    if actor == target:
        join(team.workspace, other := make_team("spare").viewer, target)
    else:
        other = team.member(target)
    url = f"/api/workspaces/{team.workspace.id}/members/{other.pk}"

    response = send(client_of(team.member(actor)), "DELETE", url)

    still_member = Membership.objects.filter(workspace=team.workspace, user=other).exists()
    if target in MAY_REMOVE[actor]:
        assert response.status_code == 204, response.content
        assert not still_member
    else:
        _least_role_named(response, Role.OWNER if actor.at_least(Role.ADMIN) else Role.ADMIN)
        assert still_member


@pytest.mark.parametrize("actor", ROLES)
def test_every_member_may_leave_but_the_last_owner(actor: Role) -> None:
    team = make_team()
    me = team.member(actor)
    url = f"/api/workspaces/{team.workspace.id}/members/{me.pk}"

    response = send(client_of(me), "DELETE", url)

    if actor == Role.OWNER:
        assert_error(response, 409, "LAST_OWNER")
    else:
        assert response.status_code == 204, response.content


@pytest.mark.parametrize("actor", ROLES)
@pytest.mark.parametrize("invited", [Role.ADMIN, Role.EDITOR, Role.VIEWER])
def test_inviting(actor: Role, invited: Role) -> None:
    team = make_team()
    url = f"/api/workspaces/{team.workspace.id}/invitations"

    response = send(client_of(team.member(actor)), "POST", url, {"role": invited.value})

    if invited in MAY_INVITE[actor]:
        assert response.status_code == 201, response.content
    else:
        _least_role_named(response, Role.OWNER if actor.at_least(Role.ADMIN) else Role.ADMIN)


@pytest.mark.parametrize("actor", ROLES)
@pytest.mark.parametrize(
    ("method", "suffix", "body", "least", "success"),
    [
        ("GET", "", None, Role.VIEWER, 200),
        ("GET", "/members", None, Role.VIEWER, 200),
        ("PATCH", "", {"name": "Renamed"}, Role.ADMIN, 200),
        ("GET", "/invitations", None, Role.ADMIN, 200),
        ("DELETE", "", None, Role.OWNER, 204),
    ],
)
def test_workspace_actions(
    actor: Role, method: str, suffix: str, body, least: Role, success: int
) -> None:
    team = make_team()

    response = send(
        client_of(team.member(actor)), method, f"/api/workspaces/{team.workspace.id}{suffix}", body
    )

    if actor.at_least(least):
        assert response.status_code == success, response.content
    else:
        _least_role_named(response, least)


@pytest.mark.parametrize("actor", ROLES)
def test_revoking_an_invitation(actor: Role) -> None:
    team = make_team()
    url = f"/api/workspaces/{team.workspace.id}/invitations"
    invitation = send(client_of(team.owner), "POST", url, {"role": "viewer"}).json()

    response = send(client_of(team.member(actor)), "DELETE", f"{url}/{invitation['id']}")

    if actor.at_least(Role.ADMIN):
        assert response.status_code == 204
    else:
        _least_role_named(response, Role.ADMIN)


def test_every_workspace_route_declares_its_least_role() -> None:
    """The role-matrix walk reads `workspace_role` from each `{workspace_id}` view."""
    declared = {}
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                if "{workspace_id}" in path:
                    for method in operation.methods:
                        declared[(method, f"/api{prefix}{path}")] = (
                            operation.view_func.workspace_role
                        )
    assert len(declared) == 9
    assert declared[("DELETE", "/api/workspaces/{workspace_id}")] == Role.OWNER
    assert declared[("DELETE", "/api/workspaces/{workspace_id}/members/{user_id}")] == Role.VIEWER
