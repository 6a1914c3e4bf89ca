"""What one read costs: SQL statements and Redis round trips, counted.

Redis round trips are counted on redis-py's connections (one `send_packed_command` per command
or pipeline), so they run in the Redis-backed pass only. The second-process tests run a real
other Python process on the same database and Redis.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis.connection
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.workspaces.models import Membership, Role, Workspace
from testing.factories import TikTokAccountFactory

REDIS_URL = os.environ.get("REDIS_URL", "").strip()
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="REDIS_URL is unset: runs in CI's PostgreSQL + Redis pass"
)
LIST, SUMMARY = "/api/accounts?limit=20", "/api/accounts/stats/summary"
BACKEND = Path(__file__).resolve().parents[3]


@pytest.fixture
def redis_round_trips(monkeypatch) -> list[int]:
    sent: list[int] = []
    original = redis.connection.AbstractConnection.send_packed_command

    def counting(self, command, check_health=True):
        sent.append(1)
        return original(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)
    return sent


def _cost(client, url: str, round_trips: list[int]) -> tuple[int, int]:
    round_trips.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries), len(round_trips)


@pytest.mark.django_db
@pytest.mark.usefixtures("shared_cache")
def test_sql_per_read_uncached_1_cached_0(auth_client, user, settings) -> None:
    TikTokAccountFactory.create_batch(30, user=user)
    auth_client.get("/api/jobs")  # caches the user and their role in the workspace

    for url, uncached_sql in ((LIST, 1), (f"{LIST}&status=active", 1), (SUMMARY, 1)):
        settings.READ_CACHE_TTL_SECONDS = 0
        assert _cost(auth_client, url, [])[0] == uncached_sql
        settings.READ_CACHE_TTL_SECONDS = 300
        assert _cost(auth_client, url, [])[0] == uncached_sql  # fills the cache
        assert _cost(auth_client, url, [])[0] == 0


@needs_redis
@pytest.mark.django_db
def test_at_most_2_redis_round_trips_per_read(
    auth_client, user, settings, redis_round_trips
) -> None:
    TikTokAccountFactory.create_batch(30, user=user)
    auth_client.get("/api/jobs")  # caches the user and their role in the workspace

    settings.READ_CACHE_TTL_SECONDS = 0
    # The user and the rate-limit counter, in one pipeline.
    assert _cost(auth_client, LIST, redis_round_trips) == (1, 1)
    settings.READ_CACHE_TTL_SECONDS = 300
    # A miss: the user, counter, version and answer; then storing the answer.
    assert _cost(auth_client, LIST, redis_round_trips) == (1, 2)
    # A hit: the user, counter, version and answer.
    assert _cost(auth_client, LIST, redis_round_trips) == (0, 1)
    assert _cost(auth_client, SUMMARY, redis_round_trips) == (1, 2)
    assert _cost(auth_client, SUMMARY, redis_round_trips) == (0, 1)
    # A route without a cache: the user and its counter.
    assert _cost(auth_client, "/api/jobs", redis_round_trips)[1] == 1


def _in_another_process(code: str) -> None:
    """Runs `code` after django.setup() in a new Python process on the test database."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        # Unreachable: a delete's revoke at TikTok is best effort and fails at once.
        "TIKTOK_API_BASE_URL": "http://127.0.0.1:9",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    script = f"import django\ndjango.setup()\n{code}"
    command = [sys.executable, "-c", script]  # our own code, this interpreter
    subprocess.run(command, cwd=BACKEND, env=env, check=True, timeout=60)  # noqa: S603


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_a_write_in_another_process_makes_cached_reads_stale_here(
    auth_client, user, settings
) -> None:
    assert connection.vendor == "postgresql"
    kept, gone = TikTokAccountFactory.create_batch(2, user=user)
    assert auth_client.get(LIST).json()["total"] == 2
    assert auth_client.get(SUMMARY).json()["total_accounts"] == 2

    _in_another_process(
        "from apps.audit.services import RequestMeta\n"
        "from apps.tiktok_accounts import services\n"
        "from apps.tiktok_accounts.models import TikTokAccount\n"
        f"account = TikTokAccount.objects.get(pk='{gone.pk}')\n"
        "services.account_delete(account=account, meta=RequestMeta())\n"
    )

    body = auth_client.get(LIST).json()
    assert [item["id"] for item in body["items"]] == [str(kept.pk)]
    assert auth_client.get(SUMMARY).json()["total_accounts"] == 1


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_a_user_deactivated_in_another_process_is_refused_here_next(auth_client, user) -> None:
    assert auth_client.get("/api/auth/me").status_code == 200
    assert auth_client.get("/api/auth/me").status_code == 200  # the cached user

    _in_another_process(
        "from django.contrib.auth import get_user_model\n"
        f"user = get_user_model().objects.get(pk={user.pk})\n"
        "user.is_active = False\n"
        "user.save()\n"
    )

    assert auth_client.get("/api/auth/me").status_code == 401


@pytest.mark.django_db
@pytest.mark.usefixtures("shared_cache")
def test_the_membership_costs_one_query_cold_with_the_user_and_none_warm(auth_client, user) -> None:
    """The workspace check: the user and their role in one SELECT on a cold request (nothing
    cached), no SQL once both are cached; with a team's header just the same."""
    team = Workspace.objects.create(name="Team")
    Membership.objects.create(workspace=team, user=user, role=Role.VIEWER)

    def auth_sql(headers: dict[str, str]) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            assert auth_client.get("/api/jobs", headers=headers).status_code == 200
        statements = [query["sql"] for query in queries.captured_queries]
        return [sql for sql in statements if "auth_user" in sql or "workspaces_" in sql]

    for headers in ({}, {"X-Workspace-Id": str(team.pk)}):
        cache.clear()
        (cold,) = auth_sql(headers)
        assert "auth_user" in cold  # one statement for both
        assert "workspaces_membership" in cold
        assert auth_sql(headers) == []
