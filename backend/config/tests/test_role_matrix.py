"""Roles in workspaces (OWASP API1, API5): every workspace route, every role, generated.

From the OpenAPI document: every operation under a workspace's prefixes declares the least role
it needs (`x-required-role`, from `@requires`), and the declared roles are the contract's table
(ROLES below, and the table in docs/security.md). Then each route is called, on objects of a
shared workspace, by a member of each role and by a non-member: below the route's role it is
403 INSUFFICIENT_ROLE naming that role, a non-member gets 404 WORKSPACE_NOT_FOUND, and neither
writes an audit entry or calls TikTok; from the route's role up, neither answer, and every audit
entry the request writes names the caller in `metadata.user_id`. A new route
fails here until its role is in ROLES (and the docs).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from api.workspace_scope import WorkspaceRouter
from apps.audit.models import AuditLog
from apps.workspaces.models import ROLE_ORDER, Membership, Role
from config.api import api
from config.tests.owned_objects import owned_ids
from testing.audit import assert_written_by, entry_ids
from testing.factories import UserFactory, personal_workspace
from testing.http import assert_error, bearer_header
from testing.openapi import ID_PARAMETER, example_body

SCHEMA = api.get_openapi_schema()
# Where a request acts in the workspace of X-Workspace-Id (or the caller's personal one).
WORKSPACE_PREFIXES = (
    "/api/accounts",
    "/api/posts",
    "/api/jobs",
    "/api/audit-logs",
    "/api/webhook-endpoints",
    "/api/webhook-deliveries",
)
V, E, A, OWNER = Role.VIEWER, Role.EDITOR, Role.ADMIN, Role.OWNER
# The contract's roles table, route by route.
ROLES: dict[tuple[str, str], Role] = {
    ("GET", "/api/accounts"): V,
    ("GET", "/api/accounts/stats/summary"): V,
    ("POST", "/api/accounts/batch/sync"): E,
    ("POST", "/api/accounts/batch/sync-all"): E,
    ("POST", "/api/accounts/connect/start"): A,
    ("POST", "/api/accounts/connect/complete"): A,
    ("GET", "/api/accounts/{account_id}"): V,
    ("DELETE", "/api/accounts/{account_id}"): A,
    ("POST", "/api/accounts/{account_id}/sync"): E,
    ("GET", "/api/accounts/{account_id}/history"): V,
    ("GET", "/api/accounts/{account_id}/history.csv"): V,
    ("GET", "/api/accounts/{account_id}/analytics"): V,
    ("POST", "/api/accounts/{account_id}/videos/sync"): E,
    ("GET", "/api/accounts/{account_id}/videos"): V,
    ("GET", "/api/accounts/{account_id}/videos.csv"): V,
    ("GET", "/api/accounts/{account_id}/videos/{video_id}/history"): V,
    ("GET", "/api/accounts/{account_id}/creator-info"): V,
    ("POST", "/api/accounts/{account_id}/posts"): E,
    ("GET", "/api/posts"): V,
    ("GET", "/api/posts/{post_id}"): V,
    ("DELETE", "/api/posts/{post_id}"): E,
    ("PUT", "/api/posts/{post_id}/upload"): E,
    ("POST", "/api/posts/{post_id}/approve"): A,
    ("POST", "/api/posts/{post_id}/reject"): A,
    ("GET", "/api/jobs"): V,
    ("GET", "/api/jobs/{job_id}"): V,
    ("GET", "/api/audit-logs"): V,
    ("GET", "/api/webhook-endpoints"): V,
    ("POST", "/api/webhook-endpoints"): A,
    ("GET", "/api/webhook-endpoints/{endpoint_id}"): V,
    ("PATCH", "/api/webhook-endpoints/{endpoint_id}"): A,
    ("DELETE", "/api/webhook-endpoints/{endpoint_id}"): A,
    ("POST", "/api/webhook-endpoints/{endpoint_id}/rotate-secret"): A,
    ("POST", "/api/webhook-endpoints/{endpoint_id}/test"): A,
    ("GET", "/api/webhook-endpoints/{endpoint_id}/deliveries"): V,
    ("POST", "/api/webhook-deliveries/{delivery_id}/redeliver"): A,
    # The workspace named by the path.
    ("GET", "/api/workspaces/{workspace_id}"): V,
    ("PATCH", "/api/workspaces/{workspace_id}"): A,
    ("DELETE", "/api/workspaces/{workspace_id}"): OWNER,
    ("GET", "/api/workspaces/{workspace_id}/members"): V,
    # Anyone may leave; changing or removing another member needs more, by the target's role
    # (api/workspaces/tests: the roles table member by member).
    ("PATCH", "/api/workspaces/{workspace_id}/members/{user_id}"): A,
    ("DELETE", "/api/workspaces/{workspace_id}/members/{user_id}"): V,
    ("POST", "/api/workspaces/{workspace_id}/invitations"): A,
    ("GET", "/api/workspaces/{workspace_id}/invitations"): A,
    ("DELETE", "/api/workspaces/{workspace_id}/invitations/{invitation_id}"): A,
}
PATH_WORKSPACE = "/api/workspaces/{workspace_id}"


def _declared() -> dict[tuple[str, str], str | None]:
    return {
        (method.upper(), path): operation.get("x-required-role")
        for path, methods in SCHEMA["paths"].items()
        for method, operation in methods.items()
        if path.startswith((*WORKSPACE_PREFIXES, PATH_WORKSPACE))
    }


def roles_table() -> str:
    """The markdown table docs/security.md shows (generated from ROLES)."""
    rows = [f"| `{m} {p}` | {r.value} |" for (m, p), r in sorted(ROLES.items(), key=_order)]
    return "\n".join(["| route | least role |", "|---|---|", *rows])


def _order(item: tuple[tuple[str, str], Role]) -> tuple[str, str]:
    (method, path), _ = item
    return path, method


def test_every_workspace_route_declares_the_contracts_role() -> None:
    declared = _declared()
    assert {key: role for key, role in declared.items() if role is None} == {}
    assert declared == {key: role.value for key, role in ROLES.items()}


def test_a_workspace_route_without_a_role_cannot_be_declared() -> None:
    router = WorkspaceRouter(tags=["example"])

    with pytest.raises(TypeError, match="needs @requires"):

        @router.get("/example", response={200: dict})
        def example(request: Any) -> dict:
            return {}


def test_every_workspace_route_takes_the_workspace_header() -> None:
    for path, methods in SCHEMA["paths"].items():
        for method, operation in methods.items():
            if path.startswith(WORKSPACE_PREFIXES):
                names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
                assert "X-Workspace-Id" in names, f"{method.upper()} {path}"


def test_the_docs_show_the_roles_table() -> None:
    text = (settings.PROJECT_DIR / "docs" / "security.md").read_text()
    found = re.search(r"<!-- roles -->\n(.*?)\n<!-- /roles -->", text, re.S)
    assert found is not None, "docs/security.md has no <!-- roles --> table"
    assert found.group(1).strip() == roles_table(), f"paste into docs/security.md:\n{roles_table()}"


def _call(client: Client, method: str, path: str, ids: dict[str, Any], workspace: Any) -> Any:
    url = ID_PARAMETER.sub(lambda match: str(ids[match.group(1)]), path)
    body = example_body(SCHEMA, method, path)
    return client.generic(
        method,
        url,
        data=json.dumps(body) if body is not None else "",
        content_type="application/json",
        headers={"X-Workspace-Id": str(workspace)},
    )


# A member route's answer depends on the target member's role too: tested member by member.
CASES = [
    (method, path, role)
    for (method, path) in ROLES
    if "{user_id}" not in path
    for role in (None, *ROLE_ORDER)
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "role"),
    CASES,
    ids=[f"{m} {p} as {r.value if r else 'non-member'}" for m, p, r in CASES],
)
def test_each_role_is_refused_below_the_routes_role_and_let_through_from_it(
    user, fake_tiktok, method: str, path: str, role: Role | None
) -> None:
    ids = owned_ids(ID_PARAMETER.findall(path), user, fake_tiktok)
    # The path's workspace, else the owner's personal one (which can have members too).
    workspace = ids.get("workspace_id") or personal_workspace(user).id
    caller = UserFactory()
    if role is not None:
        Membership.objects.create(workspace_id=workspace, user=caller, role=role)
    entries, calls = AuditLog.objects.count(), len(fake_tiktok.requests)
    before = entry_ids()

    response = _call(Client(headers=bearer_header(caller)), method, path, ids, workspace)

    needed = ROLES[(method, path)]
    if role is None:
        assert_error(response, 404, "WORKSPACE_NOT_FOUND")
    elif not role.at_least(needed):
        assert_error(response, 403, "INSUFFICIENT_ROLE")
        assert needed.value in response.json()["detail"]
    else:
        assert response.status_code not in (401, 403, 404), response.status_code
        assert_written_by(before, caller.pk)  # every entry the request wrote names the caller
        return
    assert AuditLog.objects.count() == entries
    assert len(fake_tiktok.requests) == calls
