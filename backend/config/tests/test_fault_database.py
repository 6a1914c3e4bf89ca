"""Database down: every operation answers 503 SERVICE_UNAVAILABLE, and the service recovers.

The outage is real: the connection's settings point at a closed port (PostgreSQL) or at a
file that cannot be opened (SQLite), so every connect attempt fails as it would in
production. The operations come from the OpenAPI document, so new routes are covered.
"""

from __future__ import annotations

import json
import re
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import Client
from werkzeug.test import Client as WSGIClient

from config.api import api
from testing.http import bearer_header
from testing.openapi import example_body

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMA = api.get_openapi_schema()
OPERATIONS = sorted(
    (method.upper(), path) for path, methods in SCHEMA["paths"].items() for method in methods
)
LEAKS = ("Traceback", "OperationalError", "could not connect", "unable to open", "psycopg")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def database_unreachable() -> Iterator[None]:
    """Every new connection fails until the block ends; the old settings come back after."""
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-tta-dir/db.sqlite3"
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(_closed_port()))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def _request(client: Client, method: str, path: str):
    url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
    body = example_body(SCHEMA, method, path)
    data = json.dumps(body) if body is not None else ""
    return client.generic(method, url, data=data, content_type="application/json")


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_operation_answers_503_while_the_database_is_down(
    user, method: str, path: str
) -> None:
    client = Client(headers=bearer_header(user))

    with database_unreachable():
        down = _request(client, method, path)
    healthy = _request(client, method, path)

    text = down.content.decode()
    assert not any(leak in text for leak in LEAKS), text
    if path == "/api/health/live":
        # Liveness checks nothing: a database outage must not get the process restarted.
        assert (down.status_code, down.json()) == (200, {"status": "ok"})
        return
    if down.status_code != 503:
        # Only an answer the database plays no part in (the body or token is refused first).
        assert 400 <= down.status_code < 500, text
        assert (down.status_code, down.json()["code"]) == (
            healthy.status_code,
            healthy.json()["code"],
        )
        return
    body = down.json()
    assert body["code"] == "SERVICE_UNAVAILABLE"
    assert body["detail"]
    if path in {"/api/health", "/api/health/ready"}:
        assert body["database"] == "unavailable"
        assert "database" in body["detail"]


def test_the_service_recovers_by_itself_when_the_database_is_back(user) -> None:
    client = Client(headers=bearer_header(user))

    with database_unreachable():
        assert client.get("/api/auth/me").status_code == 503
        assert client.get("/api/health").status_code == 503

    assert client.get("/api/auth/me").status_code == 200
    assert client.get("/api/health").json()["database"] == "ok"


@pytest.fixture
def wsgi_client() -> Iterator[WSGIClient]:
    """The real WSGI entry point, with Django's request signals, on a persistent connection
    opened with the production options (the backend reads them when it connects)."""
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=True)
    yield WSGIClient(WSGIHandler())
    connection.close()
    connection.settings_dict.update(saved)


def _get(client: WSGIClient, path: str, headers: dict[str, str]) -> tuple[int, str]:
    response = client.get(path, headers=headers)
    try:
        return response.status_code, response.get_data(as_text=True)
    finally:
        response.close()  # ends the request: Django's request_finished runs


def _terminate_backend(pid: int) -> None:
    """pg_terminate_backend, then wait until PostgreSQL really ended that backend."""
    params = connection.get_connection_params()
    params.pop("context", None)
    params.pop("cursor_factory", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(500):
            if not admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
                return
            time.sleep(0.01)
    raise AssertionError(f"backend {pid} still alive")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_terminate_backend: PostgreSQL")
def test_a_killed_database_connection_is_replaced_on_the_next_request(
    user, wsgi_client: WSGIClient
) -> None:
    headers = bearer_header(user)
    # The audit log always reads the database (the JWT user may come from the cache).
    assert _get(wsgi_client, "/api/audit-logs", headers)[0] == 200
    pid = connection.connection.info.backend_pid
    _terminate_backend(pid)

    # No CONN_HEALTH_CHECKS (a SELECT 1 before every request costs more than it saves): the
    # first request on the dead connection answers 503 in the error shape and drops it; the
    # next one reconnects. Nothing has to be restarted.
    status, text = _get(wsgi_client, "/api/audit-logs", headers)
    assert status in {200, 503}, text
    if status == 503:
        assert '"SERVICE_UNAVAILABLE"' in text
        status, text = _get(wsgi_client, "/api/audit-logs", headers)

    assert status == 200, text
    assert connection.connection.info.backend_pid != pid


def test_pages_outside_the_api_answer_503_too(admin_user) -> None:
    client = Client()
    client.force_login(admin_user)

    with database_unreachable():
        response = client.get("/admin/")

    assert response.status_code == 503
    assert not any(leak in response.content.decode() for leak in LEAKS)
