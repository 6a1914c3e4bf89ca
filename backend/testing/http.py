"""Helpers for tests that go through HTTP: a bearer header, JSON posts, the error shape."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpResponse
from rest_framework_simplejwt.tokens import AccessToken


def bearer_header(user: AbstractBaseUser) -> dict[str, str]:
    """The Authorization header of a fresh, valid access token for `user`."""
    return {"Authorization": f"Bearer {AccessToken.for_user(user)}"}


def post_json(client: Any, path: str, payload: Any) -> HttpResponse:
    return client.post(path, payload, content_type="application/json")


def assert_error(response: HttpResponse, status: int, code: str) -> dict[str, Any]:
    """The contract's error shape: `{"detail", "code"}` (+ `errors` on a 422)."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["detail"], str)
    assert body["detail"]
    allowed = {"detail", "code", "errors"} if status == 422 else {"detail", "code"}
    assert set(body) <= allowed, body
    return body


def assert_validation_error(response: HttpResponse) -> list[dict[str, Any]]:
    body = assert_error(response, 422, "VALIDATION_ERROR")
    errors = body.get("errors")
    assert isinstance(errors, list)
    assert errors
    for error in errors:
        assert set(error) == {"loc", "msg", "type"}, error
    return errors
