"""Object-level authorization (OWASP API1): every route with an id, generated from the API.

Each `{..._id}` route of the OpenAPI document is called by a user on an object another user
owns, and on a random id: both answer the same 404 with the object's code, and nothing is
written or sent to TikTok. The owner's own call does not answer 404, so the matrix cannot pass
by refusing everyone. A new route is in the matrix the moment it is registered; one whose id
has no factory in `owned_objects.OWNED_OBJECTS` fails here, by name.
"""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client

from apps.audit.models import AuditLog
from config.api import api
from config.tests.owned_objects import OWNER_STATUS, owned_ids, owned_object
from testing.http import assert_error, bearer_header
from testing.openapi import ID_PARAMETER, example_body, id_operations

pytestmark = pytest.mark.django_db

SCHEMA = api.get_openapi_schema()
OPERATIONS = id_operations(SCHEMA)


def _call(client: Client, method: str, path: str, ids: dict[str, object]):
    url = ID_PARAMETER.sub(lambda match: str(ids[match.group(1)]), path)
    body = example_body(SCHEMA, method, path)
    data = json.dumps(body) if body is not None else ""
    return client.generic(method, url, data=data, content_type="application/json")


def test_matrix_covers_the_known_routes_with_an_id() -> None:
    assert {
        ("GET", "/api/accounts/{account_id}"),
        ("DELETE", "/api/accounts/{account_id}"),
        ("POST", "/api/accounts/{account_id}/sync"),
    } <= set(OPERATIONS)


@pytest.mark.parametrize(
    "parameter", sorted({name for _, path in OPERATIONS for name in ID_PARAMETER.findall(path)})
)
def test_every_id_parameter_has_an_object_factory(parameter: str) -> None:
    owned_object(parameter)  # raises, naming the parameter, when none is registered


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_another_users_object_answers_404_and_changes_nothing(
    user, other_user, fake_tiktok, method: str, path: str
) -> None:
    names = ID_PARAMETER.findall(path)
    theirs = owned_ids(names, other_user, fake_tiktok)
    code = owned_object(names[0]).not_found_code
    audit_entries, tiktok_calls = AuditLog.objects.count(), len(fake_tiktok.requests)
    client = Client(headers=bearer_header(user))

    other = _call(client, method, path, theirs)
    unknown = _call(client, method, path, {name: uuid.uuid4() for name in names})

    if other.status_code == 422:
        pytest.fail(
            f"{method} {path} refused the body {example_body(SCHEMA, method, path)}: give its "
            "fields `examples` or add a valid body to testing.openapi.REQUEST_BODIES"
        )
    assert_error(other, 404, code)
    assert_error(unknown, 404, code)
    assert other.json() == unknown.json()  # nothing tells an existing object from a missing one
    assert AuditLog.objects.count() == audit_entries
    assert len(fake_tiktok.requests) == tiktok_calls


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_owner_reaches_the_same_object(user, fake_tiktok, method: str, path: str) -> None:
    names = ID_PARAMETER.findall(path)
    mine = owned_ids(names, user, fake_tiktok, f"{method} {path}")

    response = _call(Client(headers=bearer_header(user)), method, path, mine)

    if expected := OWNER_STATUS.get(f"{method} {path}"):
        assert response.status_code == expected, response.content
    else:
        assert response.status_code < 400, response.content
