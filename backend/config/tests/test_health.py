"""GET /api/health: 200 when the database and cache answer, 503 naming the part that does not."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client

from config.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_health_is_ok_when_database_and_cache_answer() -> None:
    response = Client().get("/api/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"}


def test_health_names_a_dead_broker_without_failing(monkeypatch: pytest.MonkeyPatch) -> None:
    # A real Redis broker URL on a closed port: what a dead broker gives in production.
    monkeypatch.setitem(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")

    response = Client().get("/api/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": "down"}


def test_health_is_503_naming_the_cache_when_redis_is_unreachable(settings) -> None:
    # A real Redis client on a closed port: the same failure a dead Redis gives in production.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }

    response = Client().get("/api/health")

    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "SERVICE_UNAVAILABLE"
    assert "cache" in body["detail"]
    assert "database" not in body["detail"]
    assert (body["database"], body["cache"]) == ("ok", "unavailable")


class _DeadConnection:
    def cursor(self) -> None:
        raise OperationalError("could not connect to server")


def test_health_is_503_naming_the_database_when_it_is_unreachable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("api.health.connection", _DeadConnection())

    response = Client().get("/api/health")

    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "SERVICE_UNAVAILABLE"
    assert isinstance(body["detail"], str)
    assert "database" in body["detail"]
    assert "cache" not in body["detail"]
    assert (body["database"], body["cache"]) == ("unavailable", "ok")
    assert "could not connect" not in response.content.decode()
