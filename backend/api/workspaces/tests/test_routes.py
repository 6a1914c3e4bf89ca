"""/api/workspaces: every route, its shapes, and 404s that never reveal a workspace exists."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.test import Client

from apps.api_keys.models import ApiKey
from apps.audit.models import AuditLog
from apps.outbound_webhooks.models import WebhookEndpoint
from apps.outbound_webhooks.signing import secret_new
from apps.tiktok_accounts.models import TikTokAccount
from apps.workspaces.models import Invitation, Membership, Role, Workspace
from apps.workspaces.personal import personal_workspace_id
from testing.api_keys import key_header, make_api_key
from testing.factories import TikTokAccountFactory, UserFactory
from testing.http import assert_error, assert_validation_error
from testing.workspaces import client_of, join, make_team, send

pytestmark = pytest.mark.django_db

_SECOND = timedelta(seconds=1)
WORKSPACE_FIELDS = {
    "id",
    "name",
    "personal",
    "role",
    "member_count",
    "post_approval_required",
    "created_at",
}


def test_a_new_user_is_in_their_personal_workspace_only(user, auth_client) -> None:
    body = auth_client.get("/api/workspaces").json()

    assert body == {
        "items": [
            {
                "id": str(personal_workspace_id(user.pk)),
                "name": "Personal",
                "personal": True,
                "role": "owner",
                "member_count": 1,
                "post_approval_required": False,
                "created_at": body["items"][0]["created_at"],
            }
        ]
    }


def test_create_makes_the_caller_owner_and_trims_the_name(user, auth_client) -> None:
    response = send(auth_client, "POST", "/api/workspaces", {"name": "  Acme  "})

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == WORKSPACE_FIELDS
    assert (body["name"], body["personal"], body["role"], body["member_count"]) == (
        "Acme",
        False,
        "owner",
        1,
    )
    workspace = Workspace.objects.get(id=body["id"])
    assert Membership.objects.get(workspace=workspace).user_id == user.pk
    entry = AuditLog.objects.get(workspace=workspace)
    assert (entry.action, entry.resource_type, entry.resource_id) == (
        "workspace_create",
        "workspace",
        workspace.id,
    )
    assert entry.metadata["user_id"] == user.pk


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_create_refuses_a_name_out_of_bounds(auth_client, name: str) -> None:
    assert_validation_error(send(auth_client, "POST", "/api/workspaces", {"name": name}))


def test_a_name_of_100_characters_is_accepted(auth_client) -> None:
    assert send(auth_client, "POST", "/api/workspaces", {"name": "x" * 100}).status_code == 201


def test_list_puts_the_personal_workspace_first_then_sorts_by_name(user, auth_client) -> None:
    for name in ("beta", "Alpha", "gamma"):
        send(auth_client, "POST", "/api/workspaces", {"name": name})
    someone_elses = Workspace.objects.get(personal_for=UserFactory())
    join(someone_elses, user, Role.EDITOR)

    names = [(w["name"], w["personal"]) for w in auth_client.get("/api/workspaces").json()["items"]]

    assert names[0] == ("Personal", True)
    assert [n for n, _ in names[1:]] == sorted(["beta", "Alpha", "gamma", "Personal"])


def test_list_costs_the_same_statements_for_1_or_20_workspaces(
    user, auth_client, settings, django_assert_num_queries
) -> None:
    auth_client.get("/api/workspaces")  # caches the user where the cache is shared (Redis)
    statements = 1 if settings.CACHE_IS_SHARED else 2  # (the user), the list with its counts
    with django_assert_num_queries(statements):
        assert len(auth_client.get("/api/workspaces").json()["items"]) == 1
    for index in range(19):
        team = Workspace.objects.create(name=f"team {index:02d}")
        join(team, user, Role.VIEWER)
        join(team, UserFactory(), Role.OWNER)
    with django_assert_num_queries(statements):
        items = auth_client.get("/api/workspaces").json()["items"]
    assert len(items) == 20
    assert {item["member_count"] for item in items[1:]} == {2}


def test_detail_gives_the_callers_role_and_the_member_count() -> None:
    team = make_team()

    body = client_of(team.editor).get(f"/api/workspaces/{team.workspace.id}").json()

    assert set(body) == WORKSPACE_FIELDS
    assert (body["role"], body["member_count"], body["personal"]) == ("editor", 4, False)


def test_patch_renames_and_switches_approval_with_one_audit_entry_each() -> None:
    team = make_team("Old name")
    url = f"/api/workspaces/{team.workspace.id}"
    admin = client_of(team.admin)

    renamed = send(admin, "PATCH", url, {"name": "New name"})
    switched = send(admin, "PATCH", url, {"post_approval_required": True})
    unchanged = send(admin, "PATCH", url, {"name": "New name", "post_approval_required": True})

    assert renamed.status_code == switched.status_code == unchanged.status_code == 200
    assert unchanged.json()["name"] == "New name"
    assert unchanged.json()["post_approval_required"] is True
    entries = list(AuditLog.objects.filter(workspace=team.workspace).order_by("created_at"))
    assert [(e.action, e.changes) for e in entries] == [
        ("workspace_rename", {"before": {"name": "Old name"}, "after": {"name": "New name"}}),
        (
            "workspace_update",
            {
                "before": {"post_approval_required": False},
                "after": {"post_approval_required": True},
            },
        ),
    ]


def test_patch_needs_something_to_change() -> None:
    team = make_team()

    assert_validation_error(
        send(client_of(team.owner), "PATCH", f"/api/workspaces/{team.workspace.id}", {})
    )


def test_members_are_listed_first_joined_first() -> None:
    team = make_team()
    # Made last, joined first: the order is joined_at's, not the rows'.
    first = UserFactory(username="zz-first")
    earliest = Membership.objects.order_by("joined_at").first().joined_at
    Membership.objects.create(
        workspace=team.workspace, user=first, role=Role.VIEWER, joined_at=earliest - _SECOND
    )

    items = (
        client_of(team.viewer).get(f"/api/workspaces/{team.workspace.id}/members").json()["items"]
    )

    assert [(m["user_id"], m["username"], m["role"]) for m in items] == [
        (first.pk, "zz-first", "viewer"),
        *(
            (team.member(role).pk, team.member(role).username, role.value)
            for role in (Role.OWNER, Role.ADMIN, Role.EDITOR, Role.VIEWER)
        ),
    ]
    assert set(items[0]) == {"user_id", "username", "role", "joined_at"}


def test_delete_removes_an_empty_team_with_its_members_and_invitations() -> None:
    team = make_team()
    url = f"/api/workspaces/{team.workspace.id}"
    owner = client_of(team.owner)
    send(owner, "POST", f"{url}/invitations", {"role": "viewer"})

    response = send(owner, "DELETE", url)

    assert response.status_code == 204
    assert not Workspace.objects.filter(id=team.workspace.id).exists()
    assert not Invitation.objects.exists()
    assert not Membership.objects.filter(workspace_id=team.workspace.id).exists()
    assert_error(client_of(team.viewer).get(url), 404, "WORKSPACE_NOT_FOUND")


def test_delete_is_refused_while_a_live_account_remains_then_takes_what_hangs_off_it(
    django_capture_on_commit_callbacks,
) -> None:
    team = make_team()
    url = f"/api/workspaces/{team.workspace.id}"
    owner = client_of(team.owner)
    live = TikTokAccountFactory(workspace=team.workspace)
    gone = TikTokAccountFactory(
        workspace=team.workspace, is_deleted=True, deleted_at=live.created_at
    )
    _, key = make_api_key(team.owner, workspace=team.workspace)
    endpoint = WebhookEndpoint.objects.create(
        workspace=team.workspace, url="https://hooks.invalid/x", events=["*"], secret=secret_new()
    )
    send(owner, "POST", f"{url}/invitations", {"role": "viewer"})

    refused = send(owner, "DELETE", url)
    assert_error(refused, 409, "WORKSPACE_NOT_EMPTY")
    assert Membership.objects.filter(workspace_id=team.workspace.id).count() == 4
    assert Client(headers=key_header(key)).get("/api/accounts").status_code == 200

    live.is_deleted, live.deleted_at = True, live.created_at
    live.save()
    with django_capture_on_commit_callbacks(execute=True):  # the cached key goes stale
        assert send(owner, "DELETE", url).status_code == 204

    assert not TikTokAccount.all_objects.filter(pk__in=[live.pk, gone.pk]).exists()
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    assert not ApiKey.objects.filter(workspace_id=team.workspace.id).exists()
    assert not Invitation.objects.filter(workspace_id=team.workspace.id).exists()
    assert not Membership.objects.filter(workspace_id=team.workspace.id).exists()
    assert_error(Client(headers=key_header(key)).get("/api/accounts"), 401, "NOT_AUTHENTICATED")
    # Its audit trail stays, no longer in any workspace's log.
    trail = AuditLog.objects.filter(action="invitation_create", resource_id=team.workspace.id)
    assert list(trail.values_list("workspace_id", flat=True)) == [None]


def test_delete_of_a_personal_workspace_is_refused(user, auth_client) -> None:
    url = f"/api/workspaces/{personal_workspace_id(user.pk)}"

    assert_error(send(auth_client, "DELETE", url), 409, "WORKSPACE_PERSONAL")


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("GET", "/members"),
        ("PATCH", "/members/1"),
        ("DELETE", "/members/1"),
        ("GET", "/invitations"),
        ("POST", "/invitations"),
        ("DELETE", f"/invitations/{uuid.uuid4()}"),
    ],
)
def test_a_non_member_cannot_tell_a_workspace_from_a_missing_one(method: str, suffix: str) -> None:
    team = make_team()
    outsider = client_of(UserFactory())
    body = {
        ("PATCH", ""): {"name": "Mine now"},
        ("PATCH", "/members/1"): {"role": "owner"},
        ("POST", "/invitations"): {"role": "viewer"},
    }.get((method, suffix))
    entries = AuditLog.objects.count()

    theirs = send(outsider, method, f"/api/workspaces/{team.workspace.id}{suffix}", body)
    missing = send(outsider, method, f"/api/workspaces/{uuid.uuid4()}{suffix}", body)

    assert_error(theirs, 404, "WORKSPACE_NOT_FOUND")
    assert theirs.json() == missing.json()
    assert AuditLog.objects.count() == entries
    assert Workspace.objects.get(id=team.workspace.id).name == "Acme social team"


def test_the_routes_ignore_the_workspace_header() -> None:
    team = make_team()
    header = {"X-Workspace-Id": str(uuid.uuid4())}

    response = client_of(team.viewer).get(f"/api/workspaces/{team.workspace.id}", headers=header)

    assert response.status_code == 200


def test_a_malformed_workspace_id_is_422(auth_client) -> None:
    assert_validation_error(auth_client.get("/api/workspaces/not-a-uuid"))


def test_every_route_needs_a_login() -> None:
    assert_error(Client().get("/api/workspaces"), 401, "NOT_AUTHENTICATED")
    assert_error(
        send(Client(), "POST", "/api/invitations/accept", {"token": "x"}), 401, "NOT_AUTHENTICATED"
    )
