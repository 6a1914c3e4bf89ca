"""Fixtures shared by every test package: users, an authenticated client, a clean cache.

TEST_CLOCK moves the clock of the whole run, to catch tests (and code) that depend on the
time of day or the date:

    TEST_CLOCK=2027-01-31T23:59:30Z pytest -q

The process's clock (time.time, datetime.now, timezone.now, ...) is set to that instant before
collection and again at the start of every test, and ticks on from there (time-machine,
tick=True): at 23:59:30 each test crosses midnight 30 s in. Only this process moves: PostgreSQL's
and Redis's clocks, subprocesses (a Celery worker, gunicorn) and a browser keep the real time,
so a test that mixes both clocks may fail for that reason alone. Worth running at least at
00:30 UTC, at 23:59:30 UTC on the last day of a month and at 02:30 UTC.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from celery.result import allow_join_result
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.test import Client

from config.celery import app as celery_app
from integrations.tiktok.budget import budget_reset
from testing.factories import UserFactory
from testing.http import bearer_header

pytest_plugins = [
    "testing.fake_tiktok.pytest_plugin",
    "testing.accounts",
    "testing.workers",
    "testing.s3",
]

_moved_clock: list[time_machine.travel] = []
_run_cache_dirs: list[Path] = []


def _test_clock() -> str:
    return os.environ.get("TEST_CLOCK", "").strip()


def _file_cache_of_this_run() -> Path | None:
    """Without Redis the cache is files under DATA_DIR, shared by every process of the checkout:
    every test begins with cache.clear(), which would empty the cache of a `make run` or of
    another test run mid-test (an OAuth state gone between start and complete). A run gets a
    directory of its own, as it gets a database of its own (settings: test-db-<pid>)."""
    from django.conf import settings

    default = settings.CACHES["default"]
    if not default["BACKEND"].endswith("FileBasedCache"):
        return None
    default["LOCATION"] = str(Path(default["LOCATION"]) / f"test-run-{os.getpid()}")
    return Path(default["LOCATION"])


def pytest_configure(config: pytest.Config) -> None:
    """A file cache of this run's own, before anything uses the cache; starts the TEST_CLOCK
    travel (see the module docstring) before anything reads the clock."""
    if (directory := _file_cache_of_this_run()) is not None:
        _run_cache_dirs.append(directory)
    if _test_clock():
        travel = time_machine.travel(_test_clock(), tick=True)
        travel.start()
        _moved_clock.append(travel)


def pytest_unconfigure(config: pytest.Config) -> None:
    while _moved_clock:
        _moved_clock.pop().stop()
    while _run_cache_dirs:
        shutil.rmtree(_run_cache_dirs.pop(), ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> str | None:
    return f"TEST_CLOCK: every test starts at {_test_clock()}" if _test_clock() else None


@pytest.fixture(autouse=True)
def _moved_clock_per_test() -> Iterator[None]:
    """With TEST_CLOCK, each test starts at the instant, not minutes after it (module docstring)."""
    if not _test_clock():
        yield
        return
    with time_machine.travel(_test_clock(), tick=True):
        yield


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Rate-limit counters, OAuth states, the TikTok budget: never let them leak between tests."""
    cache.clear()
    budget_reset()
    yield
    cache.clear()
    budget_reset()


@pytest.fixture(autouse=True)
def _celery_eager(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tasks run at once in the test's process, exceptions propagated, and nothing reaches a
    broker (the development one under DATA_DIR least of all). The end-to-end tests with a real
    worker switch this off."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", True)
    # Celery's "inside a task, never join a result" flag is one per process, not per thread:
    # eager tasks that run at once in two threads (a batch's workers) can leave it set, and a
    # later test's `.delay().get()` would be refused. Each test runs with it off.
    with allow_join_result():
        yield


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings) -> None:
    """PBKDF2 costs ~0.3 s per login on purpose; tests log in hundreds of times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def user(db: None) -> AbstractBaseUser:
    return UserFactory()


@pytest.fixture
def other_user(db: None) -> AbstractBaseUser:
    return UserFactory()


@pytest.fixture
def auth_client(user: AbstractBaseUser) -> Client:
    """Django's full-stack test client (middleware, URL resolution) logged in as `user`."""
    return Client(headers=bearer_header(user))


@pytest.fixture
def other_client(other_user: AbstractBaseUser) -> Client:
    return Client(headers=bearer_header(other_user))


@pytest.fixture
def shared_cache(settings) -> None:
    """Treats the local-memory cache as shared (one process): turns the read and user caches on."""
    settings.CACHE_IS_SHARED = True
    settings.READ_CACHE_TTL_SECONDS = 300
