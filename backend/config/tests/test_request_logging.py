"""One access-log record per request, carrying the request id, and never a secret."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from apps.api_keys.access import api_key_hash
from apps.core.logging import JsonFormatter, RequestIdFilter
from testing.factories import PASSWORD
from testing.receiver import receiving

pytestmark = pytest.mark.django_db


def _request_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "apps.request"]


def test_one_access_record_per_request_with_method_path_status_duration_and_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="apps.request")
    caplog.handler.addFilter(RequestIdFilter())

    response = Client().get("/api/auth/me")

    [record] = _request_records(caplog)
    assert (record.method, record.path, record.status) == ("GET", "/api/auth/me", 401)
    assert isinstance(record.duration_ms, float)
    assert record.duration_ms >= 0
    assert record.request_id == response["X-Request-ID"]
    assert "GET /api/auth/me 401" in record.getMessage()


def test_json_log_line_carries_the_request_fields(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="apps.request")
    caplog.handler.addFilter(RequestIdFilter())

    response = Client().get("/api/health")

    [record] = _request_records(caplog)
    line = JsonFormatter().format(record)
    assert '"path": "/api/health"' in line
    assert '"status": 200' in line
    assert f'"request_id": "{response["X-Request-ID"]}"' in line


def test_no_log_record_contains_a_token_or_password(
    user, caplog: pytest.LogCaptureFixture, settings
) -> None:
    settings.DEBUG = True  # Django only logs SQL in DEBUG: the most talkative configuration
    caplog.set_level(logging.DEBUG)
    # Django's own default for "django" is INFO; lift it so only our settings keep SQL out.
    caplog.set_level(logging.DEBUG, logger="django")
    access = str(AccessToken.for_user(user))
    password = "Unique-Pass-Word-7781"
    client = Client(headers={"Authorization": f"Bearer {access}"})

    client.post(
        "/api/auth/token",
        {"username": user.username, "password": password},
        content_type="application/json",
    )
    issued = client.post(
        "/api/auth/token",
        {"username": user.username, "password": PASSWORD},
        content_type="application/json",
    ).json()
    client.post(
        "/api/auth/token/refresh", {"refresh": issued["refresh"]}, content_type="application/json"
    )
    client.post(
        "/api/auth/register",
        {"username": "someone", "email": "s@example.com", "password": password},
        content_type="application/json",
    )
    client.post("/api/auth/logout", {"refresh": access}, content_type="application/json")
    client.get("/api/auth/me")

    assert len(_request_records(caplog)) == 6
    everything = caplog.text + "".join(repr(vars(record)) for record in caplog.records)
    assert password not in everything
    assert access not in everything
    for token in (access, issued["access"], issued["refresh"]):
        assert token.split(".")[2] not in everything  # not even the signature alone


def test_no_log_record_contains_an_api_key_or_its_hash(
    user, caplog: pytest.LogCaptureFixture, settings
) -> None:
    settings.DEBUG = True  # Ninja logs a bearer header with the wrong scheme in DEBUG
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")
    login = Client(headers={"Authorization": f"Bearer {AccessToken.for_user(user)}"})
    created = login.post(
        "/api/api-keys", {"name": "ci", "scopes": ["read"]}, content_type="application/json"
    ).json()
    key = created["key"]
    for header in (f"Bearer {key}", f"Token {key}", f"Bearer {key}x", f"bearer {key}"):
        Client(headers={"Authorization": header}).get("/api/accounts")
    login.delete(f"/api/api-keys/{created['id']}")
    Client(headers={"Authorization": f"Bearer {key}"}).get("/api/accounts")

    everything = caplog.text + "".join(repr(vars(record)) for record in caplog.records)
    assert key not in everything
    assert key[12:] not in everything  # nothing past the prefix
    assert api_key_hash(key) not in everything


def test_no_log_record_contains_a_webhook_secret(
    auth_client, caplog: pytest.LogCaptureFixture, settings, django_capture_on_commit_callbacks
) -> None:
    settings.DEBUG = True
    settings.OUTBOUND_WEBHOOKS_ALLOW_HTTP = True
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = True
    caplog.set_level(logging.DEBUG)
    with receiving(default_status=500) as receiver:
        created = auth_client.post(
            "/api/webhook-endpoints",
            {"url": receiver.url, "events": ["*"]},
            content_type="application/json",
        ).json()
        path = f"/api/webhook-endpoints/{created['id']}"
        rotated = auth_client.post(f"{path}/rotate-secret").json()["secret"]
        with django_capture_on_commit_callbacks(execute=True):  # delivered (and failed) here
            auth_client.post(f"{path}/test")
        auth_client.get(path)
        assert receiver.requests

    everything = caplog.text + "".join(repr(vars(record)) for record in caplog.records)
    for secret in (created["secret"], rotated):
        assert secret.removeprefix("whsec_") not in everything
