"""A removed or demoted member is refused from their very next request, cache on.

Run with the shared cache: the local-memory one on SQLite, Redis in the PostgreSQL + Redis pass
(REDIS_URL set). Commits are real (transaction=True): the cached role is marked stale at commit.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from apps.workspaces.models import Role
from testing.http import assert_error
from testing.workspaces import client_of, make_team, send

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shared_cache")]


def test_a_removed_member_is_refused_on_the_next_accounts_request() -> None:
    team = make_team()
    cache.clear()  # the joins' stale markers: the roles read next are cached
    editor = client_of(team.editor)
    header = {"X-Workspace-Id": str(team.workspace.id)}
    assert editor.get("/api/accounts", headers=header).status_code == 200
    assert editor.get("/api/accounts", headers=header).status_code == 200  # the cached role

    removed = send(
        client_of(team.owner),
        "DELETE",
        f"/api/workspaces/{team.workspace.id}/members/{team.editor.pk}",
    )

    assert removed.status_code == 204
    assert_error(editor.get("/api/accounts", headers=header), 404, "WORKSPACE_NOT_FOUND")
    assert_error(editor.get(f"/api/workspaces/{team.workspace.id}"), 404, "WORKSPACE_NOT_FOUND")


def test_a_demoted_member_is_refused_on_the_next_request() -> None:
    team = make_team()
    cache.clear()
    admin = client_of(team.admin)
    url = f"/api/workspaces/{team.workspace.id}/invitations"
    assert admin.get(url).status_code == 200
    assert admin.get(url).status_code == 200  # the cached role

    send(
        client_of(team.owner),
        "PATCH",
        f"/api/workspaces/{team.workspace.id}/members/{team.admin.pk}",
        {"role": "viewer"},
    )

    assert_error(admin.get(url), 403, "INSUFFICIENT_ROLE")
    assert admin.get(f"/api/workspaces/{team.workspace.id}").json()["role"] == Role.VIEWER


def test_a_deleted_workspaces_members_are_refused_at_once() -> None:
    team = make_team()
    cache.clear()
    viewer = client_of(team.viewer)
    header = {"X-Workspace-Id": str(team.workspace.id)}
    assert viewer.get("/api/accounts", headers=header).status_code == 200

    assert (
        send(client_of(team.owner), "DELETE", f"/api/workspaces/{team.workspace.id}").status_code
        == 204
    )

    assert_error(viewer.get("/api/accounts", headers=header), 404, "WORKSPACE_NOT_FOUND")


def test_the_path_routes_read_the_role_from_the_cache(django_assert_num_queries) -> None:
    team = make_team()
    cache.clear()  # the joins' stale markers: a role read now may be cached
    viewer = client_of(team.viewer)
    url = f"/api/workspaces/{team.workspace.id}/members"
    viewer.get(url)

    with django_assert_num_queries(1):  # the members; the user and the role come from the cache
        assert viewer.get(url).status_code == 200
