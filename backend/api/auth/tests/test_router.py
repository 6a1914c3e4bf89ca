"""/api/auth through the full stack: register, token, refresh rotation, logout, me."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import jwt
import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client

from testing.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "Vivid-Lantern-Orbit-93"


def _obtain(client: Client, username: str, password: str = PASSWORD):
    return client.post(
        "/api/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
    )


def _refresh(client: Client, refresh: str):
    return client.post(
        "/api/auth/token/refresh", {"refresh": refresh}, content_type="application/json"
    )


def _assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body == {"detail": body["detail"], "code": code}
    assert isinstance(body["detail"], str)
    assert body["detail"]


@pytest.fixture
def frozen_ratelimit_clock() -> Iterator[None]:
    """Pins the rate limits' fixed window so a test cannot straddle two windows and flake."""
    with time_machine.travel(datetime(2031, 5, 4, 12, 0, 0, tzinfo=UTC), tick=False):
        yield


# --- register -------------------------------------------------------------------------------


def test_register_creates_user_and_answers_201_with_public_fields() -> None:
    response = Client().post(
        "/api/auth/register",
        {"username": "newbie", "email": "newbie@example.com", "password": STRONG_PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    user = get_user_model().objects.get(username="newbie")
    assert response.json() == {"id": user.pk, "username": "newbie", "email": "newbie@example.com"}
    assert user.check_password(STRONG_PASSWORD)
    assert user.is_active


def test_registered_user_can_log_in() -> None:
    client = Client()
    client.post(
        "/api/auth/register",
        {"username": "fresh", "email": "fresh@example.com", "password": STRONG_PASSWORD},
        content_type="application/json",
    )

    response = _obtain(client, "fresh", STRONG_PASSWORD)

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


@pytest.mark.parametrize(
    "password",
    ["short1", "password123", "12345678901234", "carol.smith.x"],
    ids=["too-short", "common", "numeric", "similar-to-username"],
)
def test_register_refuses_weak_password_with_validation_errors(password: str) -> None:
    response = Client().post(
        "/api/auth/register",
        {"username": "carol.smith", "email": "c@example.com", "password": password},
        content_type="application/json",
    )

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert isinstance(body["detail"], str)
    assert body["errors"]
    assert all(err["loc"][-1] == "password" for err in body["errors"])
    assert password not in response.content.decode()
    assert not get_user_model().objects.filter(username="carol.smith").exists()


def test_register_refuses_username_taken_in_any_case(user) -> None:
    response = Client().post(
        "/api/auth/register",
        {"username": user.username.upper(), "email": "x@example.com", "password": STRONG_PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert ["body", "payload", "username"] in [err["loc"] for err in body["errors"]]
    assert get_user_model().objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "not-an-email"), ("username", "has space"), ("username", "x" * 151)],
)
def test_register_refuses_malformed_fields(field: str, value: str) -> None:
    payload = {"username": "valid_name", "email": "ok@example.com", "password": STRONG_PASSWORD}
    payload[field] = value

    response = Client().post("/api/auth/register", payload, content_type="application/json")

    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert ["body", "payload", field] in [err["loc"] for err in response.json()["errors"]]


def test_register_answers_403_when_signup_is_switched_off(settings) -> None:
    settings.SIGNUP_ENABLED = False

    response = Client().post(
        "/api/auth/register",
        {"username": "late", "email": "late@example.com", "password": STRONG_PASSWORD},
        content_type="application/json",
    )

    _assert_error(response, 403, "SIGNUP_DISABLED")
    assert not get_user_model().objects.exists()


# --- token obtain ---------------------------------------------------------------------------


def test_token_obtain_issues_working_access_and_refresh(user) -> None:
    response = _obtain(Client(), user.username)

    assert response.status_code == 200
    tokens = response.json()
    me = Client().get("/api/auth/me", headers={"Authorization": f"Bearer {tokens['access']}"})
    assert me.status_code == 200
    assert _refresh(Client(), tokens["refresh"]).status_code == 200


@pytest.mark.parametrize("case", ["wrong-password", "unknown-user", "inactive-user"])
def test_token_obtain_refuses_bad_credentials(case: str) -> None:
    user = UserFactory(is_active=case != "inactive-user")
    username = "nobody-here" if case == "unknown-user" else user.username
    password = "Wrong-Password-1" if case == "wrong-password" else PASSWORD

    _assert_error(_obtain(Client(), username, password), 401, "INVALID_CREDENTIALS")


def test_token_obtain_sixth_attempt_in_a_minute_is_rate_limited(
    user, frozen_ratelimit_clock
) -> None:
    client = Client()
    for _ in range(5):
        _assert_error(
            _obtain(client, user.username, "Wrong-Password-1"), 401, "INVALID_CREDENTIALS"
        )

    response = _obtain(client, user.username)  # even the right password is refused now

    _assert_error(response, 429, "RATE_LIMITED")
    assert int(response["Retry-After"]) >= 1


def test_token_obtain_counts_successful_attempts_and_ignores_username_case(
    user, frozen_ratelimit_clock
) -> None:
    client = Client()
    for name in [user.username, user.username.upper()] * 2 + [user.username]:
        assert _obtain(client, name).status_code in {200, 401}

    _assert_error(_obtain(client, user.username), 429, "RATE_LIMITED")


def test_token_obtain_limit_is_per_username(user, other_user, frozen_ratelimit_clock) -> None:
    client = Client()
    for _ in range(6):
        _obtain(client, user.username, "Wrong-Password-1")

    assert _obtain(client, other_user.username).status_code == 200


def test_token_lifetimes_are_15_minutes_and_7_days(user) -> None:
    tokens = _obtain(Client(), user.username).json()

    access = jwt.decode(tokens["access"], options={"verify_signature": False})
    refresh = jwt.decode(tokens["refresh"], options={"verify_signature": False})
    assert access["exp"] - access["iat"] == 15 * 60
    assert refresh["exp"] - refresh["iat"] == 7 * 24 * 3600


def test_tokens_are_signed_with_jwt_key_not_secret_key(user, settings) -> None:
    access = _obtain(Client(), user.username).json()["access"]

    assert settings.SIMPLE_JWT["SIGNING_KEY"] != settings.SECRET_KEY
    claims = jwt.decode(access, settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])
    forged = jwt.encode(claims, settings.SECRET_KEY, algorithm="HS256")
    response = Client().get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"})
    _assert_error(response, 401, "NOT_AUTHENTICATED")


# --- refresh --------------------------------------------------------------------------------


def test_refresh_rotates_and_old_refresh_is_refused(user) -> None:
    first = _obtain(Client(), user.username).json()

    rotated = _refresh(Client(), first["refresh"])

    assert rotated.status_code == 200
    assert rotated.json()["refresh"] != first["refresh"]
    _assert_error(_refresh(Client(), first["refresh"]), 401, "NOT_AUTHENTICATED")
    assert _refresh(Client(), rotated.json()["refresh"]).status_code == 200


@pytest.mark.parametrize("case", ["garbage", "access-token", "inactive-user", "expired"])
def test_refresh_refuses_invalid_tokens(user, case: str, settings) -> None:
    tokens = _obtain(Client(), user.username).json()
    presented = {"garbage": "not.a.jwt", "access-token": tokens["access"]}.get(
        case, tokens["refresh"]
    )
    if case == "inactive-user":
        user.is_active = False
        user.save()
    if case == "expired":
        claims = jwt.decode(presented, options={"verify_signature": False})
        claims["exp"] = claims["iat"] - 1
        presented = jwt.encode(claims, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")

    _assert_error(_refresh(Client(), presented), 401, "NOT_AUTHENTICATED")


# --- logout ---------------------------------------------------------------------------------


def test_logout_blacklists_the_refresh_token(user) -> None:
    tokens = _obtain(Client(), user.username).json()
    client = Client(headers={"Authorization": f"Bearer {tokens['access']}"})

    response = client.post(
        "/api/auth/logout", {"refresh": tokens["refresh"]}, content_type="application/json"
    )

    assert response.status_code == 204
    assert response.content == b""
    _assert_error(_refresh(Client(), tokens["refresh"]), 401, "NOT_AUTHENTICATED")


def test_logout_refuses_another_users_refresh_token(user, other_client) -> None:
    tokens = _obtain(Client(), user.username).json()

    response = other_client.post(
        "/api/auth/logout", {"refresh": tokens["refresh"]}, content_type="application/json"
    )

    _assert_error(response, 401, "NOT_AUTHENTICATED")
    assert _refresh(Client(), tokens["refresh"]).status_code == 200


@pytest.mark.parametrize("refresh", ["garbage", "access"])
def test_logout_refuses_invalid_refresh_token(user, refresh: str) -> None:
    tokens = _obtain(Client(), user.username).json()
    client = Client(headers={"Authorization": f"Bearer {tokens['access']}"})
    presented = tokens["access"] if refresh == "access" else "not.a.jwt"

    response = client.post(
        "/api/auth/logout", {"refresh": presented}, content_type="application/json"
    )

    _assert_error(response, 401, "NOT_AUTHENTICATED")


# --- me -------------------------------------------------------------------------------------


def test_me_returns_the_callers_public_fields(user, auth_client) -> None:
    response = auth_client.get("/api/auth/me")

    assert response.status_code == 200
    assert response.json() == {"id": user.pk, "username": user.username, "email": user.email}
