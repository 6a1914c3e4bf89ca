"""Auth matrix: every authenticated operation refuses every kind of bad credential with 401.

The operations come from the OpenAPI schema, so a route added later is covered automatically.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from apps.api_keys.services import api_key_revoke
from apps.audit.services import RequestMeta
from apps.workspaces.models import Membership, Role
from config.api import api
from testing.api_keys import make_api_key, team_workspace
from testing.openapi import takes_user_credential

pytestmark = pytest.mark.django_db


# Auth runs before any lookup, so any id will do; a fixed one keeps test ids stable across runs
# (and across pytest-xdist workers, which must collect identical ids).
_ANY_ID = "0b5e7c1a-3f4d-4e2a-9c8b-7a6d5e4f3c2b"


def _authenticated_operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    operations = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if takes_user_credential(operation):
                concrete = re.sub(r"\{[^}]+\}", _ANY_ID, path)
                operations.append((method.upper(), concrete))
    return sorted(operations)


OPERATIONS = _authenticated_operations()


def _signed(claims: dict[str, object], key: str) -> str:
    return jwt.encode(claims, key, algorithm=settings.SIMPLE_JWT["ALGORITHM"])


def _expired(user: AbstractBaseUser) -> str:
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    return f"Bearer {token}"


def _inactive(user: AbstractBaseUser) -> str:
    user.is_active = False
    user.save()
    return f"Bearer {AccessToken.for_user(user)}"


def _revoked_key(user: AbstractBaseUser) -> str:
    api_key, key = make_api_key(user)
    api_key_revoke(user_id=user.pk, key_id=api_key.id, meta=RequestMeta(user_id=user.pk))
    return f"Bearer {key}"


def _expired_key(user: AbstractBaseUser) -> str:
    return f"Bearer {make_api_key(user, expires_at=timezone.now() - timedelta(seconds=1))[1]}"


def _inactive_users_key(user: AbstractBaseUser) -> str:
    _, key = make_api_key(user)
    user.is_active = False
    user.save()
    return f"Bearer {key}"


def _removed_members_key(user: AbstractBaseUser) -> str:
    team = team_workspace((user, Role.ADMIN))
    _, key = make_api_key(user, workspace=team)
    Membership.objects.filter(workspace=team, user=user).get().delete()
    return f"Bearer {key}"


# Each case builds the Authorization header (None = no header) for a real, active user.
BAD_CREDENTIALS: dict[str, Callable[[AbstractBaseUser], str | None]] = {
    "no-header": lambda user: None,
    "wrong-scheme": lambda user: "Token abc",
    "bearer-alone": lambda user: "Bearer",
    "garbage-token": lambda user: "Bearer not-a-jwt",
    "expired-access": _expired,
    "wrong-key": lambda user: (
        "Bearer "
        + _signed(dict(AccessToken.for_user(user).payload), "some-other-key-of-at-least-32-bytes!")
    ),
    "secret-key": lambda user: (
        "Bearer " + _signed(dict(AccessToken.for_user(user).payload), settings.SECRET_KEY)
    ),
    "refresh-as-bearer": lambda user: f"Bearer {RefreshToken.for_user(user)}",
    "inactive-user": _inactive,
    "unknown-key": lambda user: "Bearer tta_" + "A" * 40,
    "bare-key-prefix": lambda user: "Bearer tta_",
    "revoked-key": _revoked_key,
    "expired-key": _expired_key,
    "inactive-users-key": _inactive_users_key,
    "removed-members-key": _removed_members_key,
}


def test_matrix_covers_the_known_authenticated_routes() -> None:
    assert ("GET", "/api/auth/me") in OPERATIONS
    assert ("POST", "/api/auth/logout") in OPERATIONS
    assert not any(path in {"/api/health", "/api/auth/token"} for _, path in OPERATIONS)


@pytest.mark.parametrize("case", list(BAD_CREDENTIALS))
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_authenticated_operation_refuses_bad_credentials(
    user: AbstractBaseUser, method: str, path: str, case: str
) -> None:
    header = BAD_CREDENTIALS[case](user)
    headers = {"Authorization": header} if header is not None else {}

    response = Client().generic(
        method, path, data="{}", content_type="application/json", headers=headers
    )

    assert response.status_code == 401, response.content
    body = response.json()
    assert body == {"detail": body["detail"], "code": "NOT_AUTHENTICATED"}
    assert isinstance(body["detail"], str)


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_authenticated_operation_accepts_a_valid_token(
    auth_client: Client, method: str, path: str
) -> None:
    response = auth_client.generic(method, path, data="{}", content_type="application/json")

    assert response.status_code != 401, response.content


def test_a_verified_token_is_refused_once_it_expires(user, monkeypatch) -> None:
    """The per-process verification cache (api.auth.security) still checks the expiry."""
    from api.auth import security

    token = AccessToken.for_user(user)
    client = Client(headers={"Authorization": f"Bearer {token}"})
    assert client.get("/api/auth/me").status_code == 200

    expires = float(token["exp"])
    monkeypatch.setattr(security.time, "time", lambda: expires)
    response = client.get("/api/auth/me")

    assert response.status_code == 401
    assert response.json()["code"] == "NOT_AUTHENTICATED"
    monkeypatch.setattr(security.time, "time", lambda: expires - 1)
    assert client.get("/api/auth/me").status_code == 200
