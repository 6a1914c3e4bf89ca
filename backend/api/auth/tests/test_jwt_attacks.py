"""Broken authentication (OWASP API2): forged and replayed tokens, and login brute force.

Complements the matrix in test_security.py (no token, wrong key, expired, refresh as bearer,
inactive user on every route) with tokens an attacker crafts from a real one.
"""

from __future__ import annotations

import base64
import json

import jwt
import pytest
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from testing.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _b64(part: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def _me(token: str):
    return Client().get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})


def _assert_refused(response) -> None:
    assert response.status_code == 401, response.content
    assert response.json()["code"] == "NOT_AUTHENTICATED"


def test_an_unsigned_alg_none_token_is_refused(user) -> None:
    claims = dict(AccessToken.for_user(user).payload)

    _assert_refused(_me(f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."))
    _assert_refused(_me(jwt.encode(claims, key=None, algorithm="none")))


def test_a_token_whose_user_claim_was_changed_is_refused(user, other_user) -> None:
    header, _, signature = str(AccessToken.for_user(user)).split(".")
    claims = dict(AccessToken.for_user(user).payload, user_id=str(other_user.pk))

    _assert_refused(_me(f"{header}.{_b64(claims)}.{signature}"))


def test_a_token_whose_expiry_was_pushed_back_is_refused(user) -> None:
    token = AccessToken.for_user(user)
    header, _, signature = str(token).split(".")
    claims = dict(token.payload, exp=token.payload["exp"] + 365 * 24 * 3600)

    _assert_refused(_me(f"{header}.{_b64(claims)}.{signature}"))


def test_the_untampered_token_works(user) -> None:
    """The forgeries above differ from this one only where the attacker changed them."""
    assert _me(str(AccessToken.for_user(user))).status_code == 200


WRONG_PASSWORD = "Wrong-Password-1"


def _login(username: str, address: str, password: str = WRONG_PASSWORD):
    return Client().post(
        "/api/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def test_guessing_one_username_from_many_addresses_is_limited(settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_username": "4/h"}
    user = UserFactory()
    for number in range(4):  # each address stays far under its own 5/m
        assert _login(user.username, f"203.0.113.{number}").status_code == 401

    response = _login(user.username.upper(), "203.0.113.99", PASSWORD)

    assert response.status_code == 429
    assert response.json()["code"] == "RATE_LIMITED"
    assert int(response["Retry-After"]) >= 1


def test_the_per_username_limit_leaves_other_usernames_alone(settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_username": "2/h"}
    victim, bystander = UserFactory(), UserFactory()
    for number in range(3):
        _login(victim.username, f"198.51.100.{number}")

    assert _login(bystander.username, "198.51.100.1", PASSWORD).status_code == 200
