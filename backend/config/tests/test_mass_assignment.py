"""Mass assignment (OWASP API3): a body field the schema does not name is refused with 422.

Generated from the OpenAPI document: every operation that takes a JSON body declares
`additionalProperties: false` and refuses fields such as `user`, `status` or `is_deleted`,
naming each one, whatever else the body holds. Decision (docs/security.md): refuse rather than
ignore, so a client never believes a field was applied.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from apps.tiktok_accounts.models import AccountStatus
from config.api import api
from testing.factories import TikTokAccountFactory
from testing.http import assert_validation_error, bearer_header
from testing.openapi import example_body, request_schema

pytestmark = pytest.mark.django_db

SCHEMA = api.get_openapi_schema()
BODY_OPERATIONS = sorted(
    (method.upper(), path)
    for path, methods in SCHEMA["paths"].items()
    for method in methods
    if request_schema(SCHEMA, method, path) is not None
    # TikTok decides its webhook payload (and may add fields): it is read, never applied.
    and (method.upper(), path) != ("POST", "/api/webhooks/tiktok")
)
INJECTED = {
    "id": 1,
    "user": 1,
    "user_id": 1,
    "status": "active",
    "is_deleted": True,
    "is_staff": True,
    "is_superuser": True,
}


def test_the_known_body_operations_are_covered() -> None:
    assert {
        ("POST", "/api/auth/register"),
        ("POST", "/api/auth/token"),
        ("POST", "/api/accounts/batch/sync"),
        ("POST", "/api/accounts/connect/complete"),
    } <= set(BODY_OPERATIONS)


@pytest.mark.parametrize(("method", "path"), BODY_OPERATIONS)
def test_every_body_schema_declares_no_additional_properties(method: str, path: str) -> None:
    assert request_schema(SCHEMA, method, path).get("additionalProperties") is False


@pytest.mark.parametrize(("method", "path"), BODY_OPERATIONS)
def test_every_body_refuses_fields_it_does_not_name(user, method: str, path: str) -> None:
    body = {**(example_body(SCHEMA, method, path) or {}), **INJECTED}
    url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)

    response = Client(headers=bearer_header(user)).generic(
        method, url, data=json.dumps(body), content_type="application/json"
    )

    errors = assert_validation_error(response)
    refused = {err["loc"][-1] for err in errors if err["type"] == "extra_forbidden"}
    assert refused == set(INJECTED) - set(request_schema(SCHEMA, method, path)["properties"])


def test_register_cannot_make_a_staff_user() -> None:
    response = Client().post(
        "/api/auth/register",
        {
            "username": "mallory",
            "email": "mallory@example.com",
            "password": "Correct-Horse-Battery-42",
            "is_staff": True,
            "is_superuser": True,
        },
        content_type="application/json",
    )

    assert_validation_error(response)
    assert not get_user_model().objects.filter(username="mallory").exists()


def test_batch_sync_cannot_set_a_status_or_restore(user, auth_client) -> None:
    account = TikTokAccountFactory(user=user, status=AccountStatus.REVOKED, is_deleted=True)

    response = auth_client.post(
        "/api/accounts/batch/sync",
        {"account_ids": [str(account.id)], "status": "active", "is_deleted": False},
        content_type="application/json",
    )

    assert_validation_error(response)
    account.refresh_from_db()
    assert (account.status, account.is_deleted) == (AccountStatus.REVOKED, True)
