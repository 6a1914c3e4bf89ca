"""Fixtures shared by every test package: users, an authenticated client, a clean cache."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.test import Client

from config.celery import app as celery_app
from integrations.tiktok.budget import budget_reset
from testing.factories import UserFactory
from testing.http import bearer_header

pytest_plugins = ["testing.fake_tiktok.pytest_plugin", "testing.accounts"]


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Rate-limit counters, OAuth states, the TikTok budget: never let them leak between tests."""
    cache.clear()
    budget_reset()
    yield
    cache.clear()
    budget_reset()


@pytest.fixture(autouse=True)
def _celery_eager(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tasks run at once in the test's process, exceptions propagated, and nothing reaches a
    broker (the development one under DATA_DIR least of all). The end-to-end tests with a real
    worker switch this off."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", True)


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
