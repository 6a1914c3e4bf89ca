"""A team's life across two real server processes on PostgreSQL (and Redis in CI's pass).

Any process serves any request: a workspace made and an invitation issued in one process are
accepted in the other; what a member reads is cached in one and made stale by a write in the
other; a demoted or removed member is refused from their very next request, wherever it lands.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import requests
from django.conf import settings
from django.db import connection

from apps.tiktok_accounts.models import TikTokAccount
from testing.factories import UserFactory
from testing.http import bearer_header
from testing.processes import runserver

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_servers(django_db_setup: None, fake_tiktok) -> Iterator[list[str]]:
    if connection.vendor == "sqlite":
        pytest.skip("PostgreSQL-only: two processes writing one SQLite file wait on each other")
    with ExitStack() as stack:
        env = {"LOG_LEVEL": "WARNING", "TIKTOK_API_BASE_URL": settings.TIKTOK_API_BASE_URL}
        yield [stack.enter_context(runserver(**env)) for _ in range(2)]


def _call(base: str, user: Any, method: str, path: str, workspace: str | None = None, **kw: Any):
    headers = bearer_header(user)
    if workspace is not None:
        headers["X-Workspace-Id"] = workspace
    return requests.request(method, base + path, headers=headers, timeout=30, **kw)


def test_a_team_across_two_processes(two_servers, link_account) -> None:
    one, two = two_servers
    owner, member = UserFactory(), UserFactory()

    team = _call(one, owner, "POST", "/api/workspaces", json={"name": "Brand team"})
    assert team.status_code == 201, team.text
    team_id = team.json()["id"]
    invitation = _call(one, owner, "POST", f"/api/workspaces/{team_id}/invitations",
                       json={"role": "editor"})  # fmt: skip
    assert invitation.status_code == 201, invitation.text
    joined = _call(two, member, "POST", "/api/invitations/accept",
                   json={"token": invitation.json()["token"]})  # fmt: skip
    assert (joined.status_code, joined.json()["role"]) == (200, "editor")

    account, _ = link_account(owner)
    TikTokAccount.objects.filter(pk=account.pk).update(workspace_id=team_id)
    listed = _call(one, member, "GET", "/api/accounts", team_id).json()
    assert [item["id"] for item in listed["items"]] == [str(account.pk)]
    assert _call(one, member, "GET", "/api/accounts").json()["total"] == 0  # personal: empty
    before = _call(one, owner, "GET", "/api/accounts", team_id).json()["items"][0]  # cached

    synced = _call(two, member, "POST", f"/api/accounts/{account.pk}/sync", team_id)
    assert synced.status_code == 200, synced.text
    # The list cached in process one is stale for every member after the sync in process two.
    fresh = _call(one, owner, "GET", "/api/accounts", team_id).json()["items"][0]
    assert fresh["last_synced_at"] == synced.json()["last_synced_at"] != before["last_synced_at"]
    again = _call(one, member, "GET", "/api/accounts", team_id).json()["items"][0]
    assert again["last_synced_at"] == synced.json()["last_synced_at"]

    demoted = _call(one, owner, "PATCH", f"/api/workspaces/{team_id}/members/{member.pk}",
                    json={"role": "viewer"})  # fmt: skip
    assert demoted.status_code == 200, demoted.text
    refused = _call(two, member, "POST", f"/api/accounts/{account.pk}/sync", team_id)
    assert (refused.status_code, refused.json()["code"]) == (403, "INSUFFICIENT_ROLE")
    assert _call(two, member, "GET", "/api/accounts", team_id).status_code == 200

    removed = _call(two, owner, "DELETE", f"/api/workspaces/{team_id}/members/{member.pk}")
    assert removed.status_code == 204, removed.text
    for base in (one, two):
        gone = _call(base, member, "GET", "/api/accounts", team_id)
        assert (gone.status_code, gone.json()["code"]) == (404, "WORKSPACE_NOT_FOUND")
    entries = _call(one, owner, "GET", "/api/audit-logs", team_id).json()["items"]
    actions = {entry["action"] for entry in entries}
    assert {"sync", "member_join", "member_role", "member_remove"} <= actions
    assert {entry["metadata"]["user_id"] for entry in entries} == {owner.pk, member.pk}
