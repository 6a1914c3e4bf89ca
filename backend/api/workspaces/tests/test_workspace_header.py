"""`X-Workspace-Id` on the header routes (api.workspace_scope): the workspace it names, spaces
around it and all, for a login and an API key alike; a malformed one is 422 naming the header,
but only to a caller whose token is valid (anyone else is 401 first)."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from apps.api_keys.models import Scope
from testing.api_keys import key_header, make_api_key
from testing.factories import UserFactory
from testing.http import assert_error, assert_validation_error
from testing.workspaces import client_of, make_team

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/accounts"


def test_the_header_names_its_workspace_with_spaces_around_it() -> None:
    team = make_team()
    padded = {"X-Workspace-Id": f"  {team.workspace.id} "}

    assert client_of(team.viewer).get(ACCOUNTS, headers=padded).status_code == 200
    outsider = client_of(UserFactory()).get(ACCOUNTS, headers=padded)
    assert_error(outsider, 404, "WORKSPACE_NOT_FOUND")
    _, key = make_api_key(team.viewer, [Scope.READ], workspace=team.workspace)
    assert Client(headers={**key_header(key), **padded}).get(ACCOUNTS).status_code == 200


def test_a_malformed_header_is_422_to_a_caller_and_401_to_anyone_else() -> None:
    malformed = {"X-Workspace-Id": "not-a-uuid"}

    errors = assert_validation_error(client_of(UserFactory()).get(ACCOUNTS, headers=malformed))
    assert errors == [
        {
            "loc": ["header", "X-Workspace-Id"],
            "msg": "Input should be a valid UUID.",
            "type": "uuid_parsing",
        }
    ]
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        response = Client(headers={**headers, **malformed}).get(ACCOUNTS)
        assert_error(response, 401, "NOT_AUTHENTICATED")


def test_a_missing_workspace_and_another_teams_are_the_same_404() -> None:
    team = make_team()
    outsider = client_of(UserFactory())

    theirs = outsider.get(ACCOUNTS, headers={"X-Workspace-Id": str(team.workspace.id)})
    missing = outsider.get(ACCOUNTS, headers={"X-Workspace-Id": str(uuid.uuid4())})

    assert_error(theirs, 404, "WORKSPACE_NOT_FOUND")
    assert missing.json() == theirs.json()
