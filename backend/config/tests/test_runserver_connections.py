"""The development server keeps its PostgreSQL connections bounded by its live threads.

A real `manage.py runserver` on the test database: each request below opens a new client
connection, so the server handles it in a new thread. The connections the server holds are
counted in `pg_stat_activity` by an application name of their own (libpq's `PGAPPNAME`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
import requests
from django.conf import settings
from django.db import connection

PROJECT_DIR: Path = settings.PROJECT_DIR
REQUESTS, BATCH, CONCURRENCY = 300, 50, 4
# Far below PostgreSQL's max_connections, which every program on the server shares: a leak
# stops the test before it can starve the others.
LEAK_ABORT = 20


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url(db: dict) -> str:
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def dev_server(django_db_setup: None) -> Iterator[tuple[str, str]]:
    """(base URL, application name) of a runserver on the test database."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL-only: the leak is of PostgreSQL connections")
    port, app_name = _free_port(), f"tta-runserver-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(settings.DATABASES["default"]),
        "PGAPPNAME": app_name,
        "DEBUG": "true",
    }
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=PROJECT_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            assert server.poll() is None, "runserver exited on start"
            try:
                requests.get(f"{base}/api/health", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield base, app_name
    finally:
        server.terminate()
        server.wait(timeout=10)


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
