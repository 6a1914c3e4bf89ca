"""SIGTERM to gunicorn during a batch sync: a real gunicorn on PostgreSQL, a slow fake TikTok.

- Within the graceful timeout, the in-flight batch finishes and answers 200; gunicorn exits 0.
- Past it (the worker is killed mid-request), every refresh token TikTok rotated before the
  kill is already stored: the service can still refresh every account.
Workers are gunicorn's default sync class, as the Dockerfile runs them. PostgreSQL only: a
second process must see the test's committed rows, which SQLite's test file cannot promise.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.tiktok_accounts.models import TikTokAccount
from config.tests.owned_objects.accounts import linked_account
from testing.factories import UserFactory
from testing.http import bearer_header
from testing.processes import free_port, shared_database_url

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

ROOT = Path(__file__).resolve().parents[3]
GUNICORN = Path(sys.executable).with_name("gunicorn")
ACCOUNTS = 5


class Gunicorn:
    def __init__(self, fake_url: str, graceful_timeout: int) -> None:
        self.base = f"http://127.0.0.1:{free_port()}"
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"REDIS_URL", "CACHE_KEY_PREFIX", "DEBUG"}
        }
        env.update(
            DATABASE_URL=shared_database_url(),
            SECRET_KEY=settings.SECRET_KEY,
            JWT_SIGNING_KEY=settings.SIMPLE_JWT["SIGNING_KEY"],
            FIELD_ENCRYPTION_KEY=",".join(settings.FIELD_ENCRYPTION_KEY),
            TIKTOK_CLIENT_KEY=settings.TIKTOK_CLIENT_KEY,
            TIKTOK_CLIENT_SECRET=settings.TIKTOK_CLIENT_SECRET,
            TIKTOK_API_BASE_URL=fake_url,
            TIKTOK_AUTHORIZE_URL=f"{fake_url}/v2/auth/authorize/",
            TIKTOK_TIMEOUT_SECONDS="10",
        )
        self.process = subprocess.Popen(  # noqa: S603 (fixed arguments, no shell)
            [
                *(str(GUNICORN), "--chdir", "backend", "config.wsgi"),
                *("--bind", self.base.removeprefix("http://"), "--workers", "2"),
                *("--graceful-timeout", str(graceful_timeout)),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(120):
            try:
                if requests.get(f"{self.base}/api/health", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.25)
        self.process.kill()
        _, log = self.process.communicate(timeout=10)
        raise RuntimeError(f"gunicorn did not come up: {log.decode()[-2000:]}")

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        self.process.communicate(timeout=60)  # drains stderr, so gunicorn never blocks on it
        return self.process.returncode


@pytest.fixture
def slow_tiktok(fake_tiktok) -> Iterator:
    yield fake_tiktok
    fake_tiktok.set_latency(0)


@pytest.fixture
def start_gunicorn(slow_tiktok) -> Iterator:
    """Starts gunicorn for the test; whatever happens, it is stopped at the end."""
    started: list[Gunicorn] = []

    def start(graceful_timeout: int) -> Gunicorn:
        started.append(Gunicorn(slow_tiktok.base_url, graceful_timeout))
        return started[-1]

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.communicate(timeout=30)


def _expiring_accounts(fake) -> tuple[dict[str, str], list]:
    """ACCOUNTS accounts whose access token expired, so each sync refreshes (rotates) first."""
    user = UserFactory()
    ids = [linked_account(user, fake) for _ in range(ACCOUNTS)]
    TikTokAccount.objects.filter(pk__in=ids).update(
        access_token_expires_at=timezone.now() - timedelta(minutes=1)
    )
    return bearer_header(user), ids


def _batch_in_background(base: str, headers: dict[str, str], ids: list) -> dict:
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["response"] = requests.post(
                f"{base}/api/accounts/batch/sync",
                json={"account_ids": [str(account_id) for account_id in ids]},
                headers=headers,
                timeout=60,
            )
        except requests.RequestException as exc:
            outcome["error"] = exc

    outcome["thread"] = threading.Thread(target=run)
    outcome["thread"].start()
    return outcome


def _wait_for(condition, what: str) -> None:
    for _ in range(400):
        if condition():
            return
        time.sleep(0.025)
    raise AssertionError(f"timed out waiting for {what}")


def _refresh_works(fake, account_id) -> bool:
    """What the next sync would do with the stored refresh token: does TikTok take it?"""
    answer = requests.post(
        f"{fake.base_url}/v2/oauth/token/",
        data={
            "client_key": settings.TIKTOK_CLIENT_KEY,
            "client_secret": settings.TIKTOK_CLIENT_SECRET,
            "grant_type": "refresh_token",
            "refresh_token": TikTokAccount.objects.get(pk=account_id).refresh_token,
        },
        timeout=5,
    ).json()
    return "access_token" in answer


def test_in_flight_batch_sync_finishes_within_the_graceful_timeout(
    slow_tiktok, start_gunicorn
) -> None:
    headers, ids = _expiring_accounts(slow_tiktok)
    server = start_gunicorn(graceful_timeout=20)
    slow_tiktok.set_latency(0.5)  # refresh, then profile: about 1 s for the batch
    batch = _batch_in_background(server.base, headers, ids)
    _wait_for(lambda: slow_tiktok.count("refresh") == ACCOUNTS, "the refreshes to start")

    exit_code = server.terminate()
    batch["thread"].join(timeout=60)

    assert exit_code == 0
    response = batch["response"]
    assert response.status_code == 200, response.content
    assert len(response.json()["succeeded"]) == ACCOUNTS
    assert all(_refresh_works(slow_tiktok, account_id) for account_id in ids)


def test_rotated_tokens_survive_a_worker_killed_after_the_graceful_timeout(
    slow_tiktok, start_gunicorn
) -> None:
    headers, ids = _expiring_accounts(slow_tiktok)
    server = start_gunicorn(graceful_timeout=1)
    slow_tiktok.set_latency(1.5)
    batch = _batch_in_background(server.base, headers, ids)
    # Every refresh answered (TikTok rotated the tokens); the profile fetches are in flight.
    _wait_for(lambda: slow_tiktok.count("user_info") == ACCOUNTS, "the profile fetches")

    server.terminate()
    batch["thread"].join(timeout=60)

    assert "response" not in batch  # the worker died mid-request: no answer at all
    assert all(_refresh_works(slow_tiktok, account_id) for account_id in ids)
