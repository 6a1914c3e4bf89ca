"""An API key on every route: its scopes decide, generated from the API.

Every operation that takes a user's credential is called with a key of each single scope (and
one with all): a key without the scope the route needs gets 403 INSUFFICIENT_SCOPE and changes
nothing; one with it gets through (whatever the route then answers, never 401 or that 403), and
every audit entry it writes names the key (`metadata.api_key_id`) and its user.
What a route needs: `read` for a GET, `write` for any other method, except the routes listed
here. The keys' user owns the workspace, so their role never gets in the way.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from api.auth.scopes import needed_scope
from apps.api_keys.models import Scope
from apps.audit.models import AuditLog
from config.api import api
from config.tests.owned_objects import OWNER_STATUS, owned_ids
from testing.api_keys import key_header, make_api_key
from testing.audit import assert_written_by, entry_ids
from testing.openapi import ID_PARAMETER, example_body, takes_user_credential

pytestmark = pytest.mark.django_db

SCHEMA = api.get_openapi_schema()
OPERATIONS = sorted(
    (method.upper(), path)
    for path, methods in SCHEMA["paths"].items()
    for method, operation in methods.items()
    if takes_user_credential(operation)
)
PUBLISH = {
    ("POST", "/api/accounts/{account_id}/posts"),
    ("DELETE", "/api/posts/{post_id}"),
    ("PUT", "/api/posts/{post_id}/upload"),
    ("POST", "/api/posts/{post_id}/approve"),
    ("POST", "/api/posts/{post_id}/reject"),
}
LOGIN_ONLY = {
    ("POST", "/api/api-keys"),
    ("GET", "/api/api-keys"),
    ("DELETE", "/api/api-keys/{key_id}"),
    ("POST", "/api/auth/logout"),
}


def _expected(method: str, path: str) -> Scope | None:
    if (method, path) in LOGIN_ONLY:
        return None
    if (method, path) in PUBLISH:
        return Scope.PUBLISH
    return needed_scope(method, None)


def _call(client: Client, method: str, path: str, ids: dict[str, object]):
    url = ID_PARAMETER.sub(lambda match: str(ids[match.group(1)]), path)
    body = example_body(SCHEMA, method, path)
    if (method, path) == ("POST", "/api/auth/logout"):
        body = {"refresh": "not-a-token"}
    data = json.dumps(body) if body is not None else ""
    return client.generic(method, url, data=data, content_type="application/json")


def test_the_listed_routes_exist() -> None:
    assert set(OPERATIONS) >= PUBLISH | LOGIN_ONLY
    assert ("GET", "/api/auth/me") in OPERATIONS


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_a_key_needs_the_routes_scope(user, fake_tiktok, method: str, path: str) -> None:
    ids = owned_ids(ID_PARAMETER.findall(path), user, fake_tiktok)
    needed = _expected(method, path)
    entries = AuditLog.objects.count()

    for scope in Scope:
        if scope == needed:
            continue
        _, key = make_api_key(user, [scope])
        response = _call(Client(headers=key_header(key)), method, path, ids)
        assert response.status_code == 403, (scope, response.content)
        assert response.json()["code"] == "INSUFFICIENT_SCOPE"
    assert AuditLog.objects.count() == entries + len(Scope) - (needed is not None)

    api_key, key = make_api_key(user, [needed] if needed else list(Scope))
    before = entry_ids()
    response = _call(Client(headers=key_header(key)), method, path, ids)
    assert_written_by(before, user.pk, api_key.id)  # what the request wrote names the key
    if needed is None:
        assert response.status_code == 403
        assert response.json()["code"] == "INSUFFICIENT_SCOPE"
    elif expected := OWNER_STATUS.get(f"{method} {path}"):
        assert response.status_code == expected, response.content  # past the scope check
    else:
        assert response.status_code not in (401, 422), response.content
        if response.status_code >= 400:
            assert response.json()["code"] != "INSUFFICIENT_SCOPE", response.content
