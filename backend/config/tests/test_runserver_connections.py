"""The development server keeps its PostgreSQL connections bounded by its live threads.

A real `manage.py runserver` on the test database: each request below opens a new client
connection, so the server handles it in a new thread. The connections the server holds are
counted in `pg_stat_activity` by an application name of their own (libpq's `PGAPPNAME`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
import requests
from django.conf import settings
from django.db import connection

from testing.processes import runserver

PROJECT_DIR: Path = settings.PROJECT_DIR
REQUESTS, BATCH, CONCURRENCY = 300, 50, 4
# Far below PostgreSQL's max_connections, which every program on the server shares: a leak
# stops the test before it can starve the others.
LEAK_ABORT = 20


@pytest.fixture
def dev_server(django_db_setup: None) -> Iterator[tuple[str, str]]:
    """(base URL, application name) of a runserver on the test database."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL-only: the leak is of PostgreSQL connections")
    app_name = f"tta-runserver-test-{uuid.uuid4().hex[:8]}"
    with runserver(PGAPPNAME=app_name) as base:
        yield base, app_name


def _server_connections(app_name: str) -> int:
    db = settings.DATABASES["default"]
    # Its own autocommit connection: inside a transaction pg_stat_activity is a frozen snapshot.
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    ) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [app_name]
        ).fetchone()
    return row[0]


def _health(base: str) -> int:
    # No session: a new client connection, hence a new server thread, for every request.
    return requests.get(f"{base}/api/health", timeout=10).status_code


def test_runserver_connections_stay_bounded_by_live_threads(dev_server) -> None:
    base, app_name = dev_server
    counts = []
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        for _ in range(REQUESTS // BATCH):
            statuses = list(pool.map(_health, [base] * BATCH))
            assert statuses == [200] * BATCH
            counts.append(_server_connections(app_name))
            if counts[-1] > LEAK_ABORT:
                break
    assert len(counts) == REQUESTS // BATCH, f"leaking: connections after each batch {counts}"
    # Each thread closes its connection right after its response: wait for the last ones.
    for _ in range(50):
        if _server_connections(app_name) == 0:
            break
        time.sleep(0.1)
    assert max(counts) <= CONCURRENCY, counts
    assert _server_connections(app_name) == 0
