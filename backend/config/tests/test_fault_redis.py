"""Redis down: a throwaway redis-server of the test's own, the cache pointed at it, then killed.

Decisions (docs/operations.md): reads keep working uncached; anything that must store state
only Redis holds answers 503 (connect: the OAuth state; login: its brute-force counter fails
closed); the per-user rate limits fail open with a logged warning; health names the cache;
nothing answers 500; when Redis is back, so is the service, without a restart.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest
import redis
import time_machine
from django.conf import settings
from django.test import Client, RequestFactory
from django.utils import timezone

from apps.core.outages import CACHE_OUTAGES
from apps.core.ratelimit import rate_limit_hit
from apps.workspaces.personal import personal_workspace_id
from config.api import api
from config.tests.owned_objects import owned_ids, owned_object
from testing.factories import PASSWORD
from testing.http import assert_error, bearer_header
from testing.openapi import ID_PARAMETER, example_body

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server"),
]

SCHEMA = api.get_openapi_schema()


def _rate_limited(path: str) -> bool:
    return 429 in SCHEMA["paths"][path]["get"]["responses"]


OPERATIONS = sorted(
    (method.upper(), path) for path, methods in SCHEMA["paths"].items() for method in methods
)
# Health and readiness name the cache that is down (below); liveness checks nothing.
HEALTH = {"/api/health", "/api/health/ready"}
READS = [(method, path) for method, path in OPERATIONS if method == "GET" and path not in HEALTH]


class ThrowawayRedis:
    """A redis-server on a free port, owned and stopped by the test; never the shared one."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (fixed arguments, no shell)
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        for _ in range(200):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.025)
        raise RuntimeError("throwaway redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def throwaway_redis(settings) -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis()
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "fault-test",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    # A real Redis is shared: the read cache and the cached JWT user are on, on both passes.
    settings.CACHE_IS_SHARED = True
    settings.READ_CACHE_TTL_SECONDS = 300
    yield server
    server.kill()


def _url(path: str, ids: dict[str, object] | None = None) -> str:
    return ID_PARAMETER.sub(lambda match: str((ids or {}).get(match.group(1), uuid.uuid4())), path)


def _call(client: Client, method: str, path: str, ids: dict[str, object] | None = None):
    body = example_body(SCHEMA, method, path)
    data = json.dumps(body) if body is not None else ""
    return client.generic(method, _url(path, ids), data=data, content_type="application/json")


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_no_operation_answers_500_while_redis_is_down(
    throwaway_redis, user, method: str, path: str
) -> None:
    client = Client(headers=bearer_header(user))
    throwaway_redis.kill()

    response = _call(client, method, path)

    assert response.status_code < 500 or response.status_code == 503, response.content
    assert "Traceback" not in response.content.decode()
    if response.status_code >= 400:
        assert response.json()["code"]


@pytest.mark.parametrize("path", sorted(HEALTH))
def test_health_names_the_cache_while_redis_is_down(throwaway_redis, path: str) -> None:
    throwaway_redis.kill()

    response = Client().get(path)

    assert response.status_code == 503
    assert (response.json()["cache"], response.json()["database"]) == ("unavailable", "ok")


@pytest.mark.parametrize("path", ["/api/accounts/connect/start", "/api/accounts/connect/complete"])
def test_connect_answers_503_because_the_oauth_state_cannot_be_kept(
    throwaway_redis, auth_client, path: str
) -> None:
    throwaway_redis.kill()

    response = _call(auth_client, "POST", path)

    assert_error(response, 503, "SERVICE_UNAVAILABLE")


def test_login_fails_closed_while_its_brute_force_counter_is_unreachable(
    throwaway_redis, user
) -> None:
    throwaway_redis.kill()

    response = Client().post(
        "/api/auth/token",
        {"username": user.username, "password": PASSWORD},
        content_type="application/json",
    )

    assert_error(response, 503, "SERVICE_UNAVAILABLE")


@pytest.mark.parametrize(("method", "path"), READS)
def test_reads_keep_working_uncached_while_redis_is_down(
    throwaway_redis, user, fake_tiktok, caplog, method: str, path: str
) -> None:
    ids = owned_ids(ID_PARAMETER.findall(path), user, fake_tiktok)
    client = Client(headers=bearer_header(user))
    # One instant for both: a period ending now (analytics) must not move between them.
    with time_machine.travel(timezone.now(), tick=False):
        before = _call(client, method, path, ids)
        throwaway_redis.kill()

        with caplog.at_level(logging.WARNING):
            during = _call(client, method, path, ids)

    assert before.status_code == 200, before.content
    assert during.status_code == 200, during.content
    assert during.getvalue() == before.getvalue()  # JSON or CSV, byte for byte
    if _rate_limited(path):
        assert any("rate limit 'read'" in record.getMessage() for record in caplog.records)


def test_sync_still_stores_the_profile_while_redis_is_down(
    throwaway_redis, user, fake_tiktok, caplog, django_capture_on_commit_callbacks
) -> None:
    """A rate-limited write passes (its limit fails open), and the invalidation of the cached
    reads that runs after its commit is logged instead of turning the stored sync into a 503."""
    account_id = owned_object("account_id").create(user, fake_tiktok)
    client = Client(headers=bearer_header(user))
    throwaway_redis.kill()

    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/accounts/{account_id}/sync")

    assert response.status_code == 200, response.content
    assert (
        client.get(f"/api/accounts/{account_id}").json()["display_name"]
        == (response.json()["display_name"])
    )
    messages = [record.getMessage() for record in caplog.records]
    assert any("rate limit 'sync' not enforced" in message for message in messages)
    assert any("cached reads not invalidated" in message for message in messages)


def test_the_service_comes_back_with_redis_without_a_restart(throwaway_redis, auth_client) -> None:
    throwaway_redis.kill()
    assert Client().get("/api/health").status_code == 503
    assert auth_client.post("/api/accounts/connect/start").status_code == 503

    throwaway_redis.start()

    assert Client().get("/api/health").status_code == 200
    assert auth_client.post("/api/accounts/connect/start").status_code == 200
    assert auth_client.get("/api/accounts/stats/summary").status_code == 200


def test_summary_is_computed_uncached_while_the_cache_is_down(throwaway_redis, user) -> None:
    from apps.tiktok_accounts.selectors import account_summary
    from testing.factories import TikTokAccountFactory

    TikTokAccountFactory(user=user, follower_count=7)
    throwaway_redis.kill()

    assert account_summary(workspace_id=personal_workspace_id(user.pk))["total_followers"] == 7


@pytest.mark.parametrize("scope", sorted(settings.RATE_LIMITS))
def test_only_the_login_limits_fail_closed_while_redis_is_down(
    throwaway_redis, caplog, scope: str
) -> None:
    throwaway_redis.kill()
    request = RequestFactory().get("/")

    with caplog.at_level(logging.WARNING):
        if scope in ("login", "login_username"):
            with pytest.raises(CACHE_OUTAGES):
                rate_limit_hit(request, scope=scope, key="someone")
        else:
            rate_limit_hit(request, scope=scope, key="someone")

    warned = [record.getMessage() for record in caplog.records]
    assert any(f"rate limit {scope!r} not enforced" in message for message in warned) == (
        scope not in ("login", "login_username")
    )


def _client_whose_user_is_cached(throwaway_redis: ThrowawayRedis, user) -> Client:
    """A client whose user one request put in the user cache, then Redis killed."""
    client = Client(headers=bearer_header(user))
    assert client.get("/api/jobs").status_code == 200
    throwaway_redis.kill()
    return client


def test_authentication_reads_the_user_from_the_database_while_redis_is_down(
    throwaway_redis, user, caplog, django_assert_num_queries
) -> None:
    client = _client_whose_user_is_cached(throwaway_redis, user)

    with caplog.at_level(logging.WARNING), django_assert_num_queries(2):  # the user, the jobs
        response = client.get("/api/jobs")

    assert response.status_code == 200, response.content
    assert any("user read from the database" in r.getMessage() for r in caplog.records)


def test_a_user_deactivated_while_redis_is_down_is_refused_at_once(
    throwaway_redis, user, caplog, django_capture_on_commit_callbacks
) -> None:
    """The user cache cannot be marked stale, but nobody reads it while Redis is down."""
    client = _client_whose_user_is_cached(throwaway_redis, user)

    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        user.is_active = False
        user.save()

    assert client.get("/api/jobs").status_code == 401
    assert any("cached user not marked stale" in r.getMessage() for r in caplog.records)
