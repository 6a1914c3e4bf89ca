"""Workspace writes share the `manage` limit (RATE_LIMIT_MANAGE); reads count as `read`."""

from __future__ import annotations

import pytest

from apps.workspaces.models import Workspace
from testing.http import assert_error
from testing.workspaces import client_of, make_team, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_limits(settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "manage": "3/m", "read": "2/m"}


@pytest.mark.usefixtures("low_limits")
def test_management_writes_share_one_limit() -> None:
    team = make_team()
    owner = client_of(team.owner)
    base = f"/api/workspaces/{team.workspace.id}"

    answers = [
        send(owner, "POST", "/api/workspaces", {"name": "one"}).status_code,
        send(owner, "PATCH", base, {"name": "two"}).status_code,
        send(owner, "POST", f"{base}/invitations", {"role": "viewer"}).status_code,
    ]
    over = send(owner, "POST", "/api/invitations/accept", {"token": "anything"})

    assert answers == [201, 200, 201]
    body = assert_error(over, 429, "RATE_LIMITED")
    assert body
    assert int(over["Retry-After"]) >= 1
    assert Workspace.objects.filter(name="one").count() == 1


@pytest.mark.usefixtures("low_limits")
def test_reads_count_against_the_read_limit_not_manage() -> None:
    team = make_team()
    viewer = client_of(team.viewer)

    assert viewer.get("/api/workspaces").status_code == 200
    assert viewer.get(f"/api/workspaces/{team.workspace.id}/members").status_code == 200
    assert_error(viewer.get(f"/api/workspaces/{team.workspace.id}"), 429, "RATE_LIMITED")
    assert send(viewer, "POST", "/api/workspaces", {"name": "still allowed"}).status_code == 201


@pytest.mark.usefixtures("low_limits")
def test_a_non_member_is_counted_too() -> None:
    team = make_team()
    outsider = client_of(make_team("theirs").viewer)
    url = f"/api/workspaces/{team.workspace.id}"

    answers = [outsider.get(url).status_code for _ in range(3)]

    assert answers == [404, 404, 429]
