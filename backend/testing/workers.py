"""Real Celery workers and schedulers for the end-to-end tests, stopped at the end, bounded.

They use the test database and the test run's Redis with its key prefix (so the broker keys of
parallel test runs never mix), and talk to the test's fake TikTok over loopback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from testing.fake_tiktok import FakeTikTok
from testing.processes import shared_database_url

BACKEND_DIR = Path(__file__).resolve().parents[1]
STOP_TIMEOUT_SECONDS = 15


# A module of real-worker tests: `pytestmark = REAL_WORKER_MARKS`. The workers share the test
# database (committed rows, hence transaction=True) and the run's Redis broker.
REAL_WORKER_MARKS = [
    pytest.mark.usefixtures("real_broker"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_URL,
        reason="REDIS_URL is unset: the real-worker tests run in CI's PostgreSQL + Redis pass",
    ),
]


@pytest.fixture
def real_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tasks go through the run's Redis broker (the workers'), not eagerly in the test. Each
    test starts with it empty: the autouse cache clearing flushes the run's Redis database."""
    from config.celery import app as celery_app

    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)


def environment(fake: FakeTikTok, extra: dict[str, str]) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": shared_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CACHE_KEY_PREFIX": settings.CACHE_KEY_PREFIX,
        "TIKTOK_API_BASE_URL": fake.base_url,
        "TIKTOK_TIMEOUT_SECONDS": "5",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def _start(arguments: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "celery", "--workdir", str(BACKEND_DIR), "-A", "config"]
    # A process group of its own: stopping it stops the pool's children too.
    return subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [*command, *arguments], env=env, start_new_session=True, stdin=subprocess.DEVNULL
    )


def kill(process: subprocess.Popen[bytes], sig: signal.Signals = signal.SIGKILL) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return


def stop(process: subprocess.Popen[bytes]) -> None:
    kill(process, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        kill(process)
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    kill(process)  # pool children left behind, if any


def wait_for(
    condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.1
) -> None:
    """Polls `condition` until it holds; fails the test, naming `what`, after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


@contextmanager
def celery_processes(
    fake: FakeTikTok,
    *,
    workers: int = 1,
    beats: int = 0,
    env: dict[str, str] | None = None,
    queues: str = "celery",
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Starts `workers` workers (2 processes each) on `queues` (comma-separated; outbound
    webhooks are delivered from `webhooks`) and `beats` schedulers; stops them all."""
    env_vars = environment(fake, env or {})
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for number in range(workers):
            processes.append(
                _start(
                    [
                        "worker",
                        f"--queues={queues}",
                        "--concurrency=2",
                        "--without-mingle",
                        "--without-gossip",
                        f"--hostname=e2e{number}-{os.getpid()}@%h",
                        "--loglevel=WARNING",
                    ],
                    env_vars,
                )
            )
        for _ in range(beats):
            processes.append(_start(["beat", "--loglevel=WARNING"], env_vars))
        yield processes
    finally:
        for process in processes:
            stop(process)
