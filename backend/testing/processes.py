"""Helpers for tests that start real server processes on the test database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import requests
from django.conf import settings
from django.db import connection

START_TIMEOUT_SECONDS = 60


def free_port() -> int:
    """A loopback port nobody listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def shared_database_url() -> str:
    """DATABASE_URL of the test database, for a child process to share it."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def runserver(**extra_env: str) -> Iterator[str]:
    """`manage.py runserver` on the test database; yields its base URL once it answers, and
    stops it at the end."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": shared_database_url(), "DEBUG": "true", **extra_env}
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=settings.PROJECT_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            assert process.poll() is None, "runserver exited on start"
            try:
                requests.get(f"{base}/api/health", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "runserver did not start"
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def python_run(
    script: str, env: dict[str, str], *, check: bool = True, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`script` run by this interpreter in a fresh process (under backend/ unless `cwd`), its
    output captured: what a new server or worker sees with `env` (settings read at start)."""
    return subprocess.run(  # noqa: S603 (our own interpreter and the test's own script)
        [sys.executable, "-c", script],
        cwd=cwd or settings.BACKEND_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_SECONDS,
        check=check,
    )
