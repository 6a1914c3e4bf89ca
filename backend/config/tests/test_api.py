"""The one error shape: every error path under /api/ answers `{"detail", "code"}` JSON."""

from __future__ import annotations

import logging
import re

import pytest
from django.conf import settings
from django.test import Client

from apps.core.logging import RequestIdFilter
from testing.factories import PASSWORD
from testing.openapi import takes_user_credential

pytestmark = pytest.mark.django_db

_GENERATED_REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Request-ID"]
    body = response.json()
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert body["code"] == code
    expected_keys = {"detail", "code", "errors"} if status == 422 else {"detail", "code"}
    assert set(body) == expected_keys
    return body


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
@pytest.mark.parametrize("path", ["/api/nothing-here", "/api/auth/nothing", "/api/auth/me/x"])
def test_unknown_api_route_answers_json_404(settings, debug: bool, path: str) -> None:
    settings.DEBUG = debug

    response = Client().get(path)

    _assert_error(response, 404, "NOT_FOUND")


def test_wrong_method_answers_json_405_with_allow_header() -> None:
    response = Client().get("/api/auth/token")

    _assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert "POST" in response["Allow"]


def test_body_over_the_limit_answers_413() -> None:
    body = b'{"username": "' + b"x" * settings.MAX_REQUEST_BODY_BYTES + b'"}'

    response = Client().post("/api/auth/token", body, content_type="application/json")

    _assert_error(response, 413, "PAYLOAD_TOO_LARGE")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("username=a&password=b", "application/x-www-form-urlencoded"),
        (b"\xff\xfe", "application/json"),
    ],
    ids=["broken-json", "form-encoded", "not-utf8"],
)
def test_body_that_is_not_json_answers_422(settings, body: str | bytes, content_type: str) -> None:
    settings.DEBUG = True  # Ninja puts the parser's message in its error in DEBUG; we must not

    response = Client().post("/api/auth/token", body, content_type=content_type)

    body_out = _assert_error(response, 422, "VALIDATION_ERROR")
    assert body_out["errors"] == [
        {"loc": ["body"], "msg": "The request body is not valid JSON.", "type": "json_invalid"}
    ]


def test_validation_error_lists_each_bad_field_without_echoing_input() -> None:
    response = Client().post(
        "/api/auth/token",
        {"username": "", "password": ["secret-in-a-list"]},
        content_type="application/json",
    )

    body = _assert_error(response, 422, "VALIDATION_ERROR")
    assert {tuple(err["loc"]) for err in body["errors"]} == {
        ("body", "payload", "username"),
        ("body", "payload", "password"),
    }
    for err in body["errors"]:
        assert set(err) == {"loc", "msg", "type"}
    assert "secret-in-a-list" not in response.content.decode()


def test_unexpected_exception_answers_500_without_internals_and_is_logged(
    settings, user, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    settings.DEBUG = True  # even Django's debug page must not leak through

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom-secret")

    monkeypatch.setattr("apps.users.services.authenticate", explode)
    caplog.handler.addFilter(RequestIdFilter())  # what the real log handler adds

    response = Client().post(
        "/api/auth/token",
        {"username": user.username, "password": PASSWORD},
        content_type="application/json",
    )

    _assert_error(response, 500, "INTERNAL_ERROR")
    text = response.content.decode()
    for leak in ("boom-secret", "Traceback", "RuntimeError", 'File "', "services.py"):
        assert leak not in text
    logged = [r for r in caplog.records if r.exc_info and r.exc_info[0] is RuntimeError]
    assert len(logged) == 1
    assert logged[0].levelno == logging.ERROR
    assert logged[0].request_id == response["X-Request-ID"]
    assert "boom-secret" in caplog.text


def test_every_response_carries_a_generated_request_id(user, auth_client) -> None:
    responses = [
        Client().get("/api/health"),
        auth_client.get("/api/auth/me"),
        Client().get("/api/auth/me"),
        Client().get("/api/nothing-here"),
        Client().get("/admin/login/"),
    ]

    ids = [response["X-Request-ID"] for response in responses]
    assert all(_GENERATED_REQUEST_ID.match(request_id) for request_id in ids)
    assert len(set(ids)) == len(ids)


def test_a_valid_incoming_request_id_is_echoed() -> None:
    response = Client().get("/api/health", headers={"X-Request-ID": "edge-proxy-1234.abc"})

    assert response["X-Request-ID"] == "edge-proxy-1234.abc"


@pytest.mark.parametrize("incoming", ["short", "has spaces in it", "x" * 65, "inject\nheader"])
def test_an_unsafe_incoming_request_id_is_replaced(incoming: str) -> None:
    response = Client().get("/api/health", headers={"X-Request-ID": incoming})

    assert _GENERATED_REQUEST_ID.match(response["X-Request-ID"])


# --- OpenAPI --------------------------------------------------------------------------------


def _operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [
        (method.upper(), path, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        name = node["$ref"].removeprefix("#/components/schemas/")
        node = schema["components"]["schemas"][name]
    return node


def test_openapi_declares_401_and_422_on_every_authenticated_operation() -> None:
    schema = Client().get("/api/openapi.json").json()

    authenticated = [op for op in _operations(schema) if takes_user_credential(op[2])]
    assert authenticated
    for method, path, operation in authenticated:
        assert {"401", "422"} <= set(map(str, operation["responses"])), (method, path)


def test_openapi_declares_422_wherever_input_is_parsed_and_429_where_rate_limited() -> None:
    schema = Client().get("/api/openapi.json").json()

    for method, path, operation in _operations(schema):
        responses = set(map(str, operation["responses"]))
        if operation.get("parameters") or operation.get("requestBody"):
            # The webhook's bad input is a 400 VALIDATION_ERROR (the contract: TikTok's retry
            # rules), with the same `errors` list.
            validation = "422" if "422" in responses else "400"
            answer = operation["responses"].get(validation, {})
            body = _resolve(schema, answer["content"]["application/json"]["schema"])
            assert "errors" in body["properties"], (method, path)
    token = schema["paths"]["/api/auth/token"]["post"]["responses"]
    assert "429" in map(str, token)


def test_openapi_error_responses_all_use_the_error_shape() -> None:
    schema = Client().get("/api/openapi.json").json()

    for method, path, operation in _operations(schema):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            body = _resolve(schema, response["content"]["application/json"]["schema"])
            assert {"detail", "code"} <= set(body["required"]), (method, path, status)
            if int(status) == 422:
                assert "errors" in body["properties"], (method, path)
