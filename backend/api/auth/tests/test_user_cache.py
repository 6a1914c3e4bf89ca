"""The JWT's user comes from the shared cache, yet a change to the user counts at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shared_cache")]

ME = "/api/auth/me"


def test_the_user_is_read_from_the_database_once_then_from_the_cache(auth_client, user) -> None:
    with CaptureQueriesContext(connection) as first:
        assert auth_client.get(ME).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert auth_client.get(ME).json()["username"] == user.username

    assert len(first.captured_queries) == 1
    assert second.captured_queries == []


def test_a_deactivated_user_is_refused_on_the_very_next_request(auth_client, user) -> None:
    assert auth_client.get(ME).status_code == 200
    assert auth_client.get(ME).status_code == 200  # served with the cached user

    user.is_active = False
    user.save()

    assert auth_client.get(ME).status_code == 401
    assert auth_client.get("/api/accounts").status_code == 401


def test_a_deleted_user_is_refused_on_the_very_next_request(auth_client, user) -> None:
    assert auth_client.get(ME).status_code == 200

    user.delete()

    assert auth_client.get(ME).status_code == 401


def test_a_changed_user_is_answered_as_changed(auth_client, user) -> None:
    assert auth_client.get(ME).status_code == 200

    user.email = "new-address@example.com"
    user.save()

    assert auth_client.get(ME).json()["email"] == "new-address@example.com"
