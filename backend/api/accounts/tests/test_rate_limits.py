"""This service's own per-user rate limits: 429 RATE_LIMITED with Retry-After, shared cache."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine

from apps.core import redis_client
from testing.http import assert_error, post_json

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("REDIS_URL", "").strip()
INSTANT = datetime(2031, 5, 4, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[time_machine.Traveller]:
    """Pins the rate limits' fixed windows so a test cannot straddle two windows."""
    with time_machine.travel(INSTANT, tick=False) as traveller:
        yield traveller


def _assert_rate_limited(response) -> int:
    assert_error(response, 429, "RATE_LIMITED")
    retry_after = response["Retry-After"]
    assert retry_after.isdigit(), retry_after
    assert 1 <= int(retry_after) <= 3600
    return int(retry_after)


def _sync_unknown(client):
    return client.post(f"/api/accounts/{uuid.uuid4()}/sync")


def _batch(client):
    return post_json(client, "/api/accounts/batch/sync", {"account_ids": [str(uuid.uuid4())]})


# --- the contract's default limits ----------------------------------------------------------


def test_eleventh_sync_in_a_minute_is_rate_limited(auth_client, user) -> None:
    for _ in range(10):
        assert_error(_sync_unknown(auth_client), 404, "ACCOUNT_NOT_FOUND")

    retry_after = _assert_rate_limited(_sync_unknown(auth_client))

    assert retry_after <= 60


def test_third_batch_sync_in_a_minute_is_rate_limited(auth_client, user) -> None:
    for _ in range(2):
        assert _batch(auth_client).status_code == 200

    retry_after = _assert_rate_limited(_batch(auth_client))

    assert retry_after <= 60


def test_eleventh_connect_in_a_minute_is_rate_limited(auth_client, user) -> None:
    for _ in range(10):
        assert auth_client.post("/api/accounts/connect/start").status_code == 200

    _assert_rate_limited(auth_client.post("/api/accounts/connect/start"))
    _assert_rate_limited(
        post_json(auth_client, "/api/accounts/connect/complete", {"code": "c", "state": "s"})
    )


def test_connect_start_and_complete_share_the_connect_limit(auth_client, user, settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "connect": "3/m"}
    assert auth_client.post("/api/accounts/connect/start").status_code == 200
    complete = {"code": "c", "state": "s"}
    assert post_json(auth_client, "/api/accounts/connect/complete", complete).status_code == 400
    assert auth_client.post("/api/accounts/connect/start").status_code == 200

    _assert_rate_limited(auth_client.post("/api/accounts/connect/start"))


def test_reads_are_limited_to_120_a_minute_across_every_read_route(auth_client, user) -> None:
    read_paths = [
        "/api/accounts",
        "/api/accounts/stats/summary",
        f"/api/accounts/{uuid.uuid4()}",
        "/api/audit-logs",
    ]
    for n in range(120):
        response = auth_client.get(read_paths[n % len(read_paths)])
        assert response.status_code in (200, 404), (n, response.content)

    for path in read_paths:
        _assert_rate_limited(auth_client.get(path))


def test_sync_and_reads_count_separately(auth_client, user, settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "sync": "2/m"}
    for _ in range(2):
        _sync_unknown(auth_client)
    _assert_rate_limited(_sync_unknown(auth_client))

    assert auth_client.get("/api/accounts").status_code == 200
    assert _batch(auth_client).status_code == 200


def test_rate_limit_is_per_user(auth_client, other_client, user, other_user, settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "sync": "2/m", "read": "2/m"}
    for _ in range(2):
        _sync_unknown(auth_client)
        auth_client.get("/api/accounts")
    _assert_rate_limited(_sync_unknown(auth_client))
    _assert_rate_limited(auth_client.get("/api/accounts"))

    assert_error(_sync_unknown(other_client), 404, "ACCOUNT_NOT_FOUND")
    assert other_client.get("/api/accounts").status_code == 200


def test_retry_after_counts_down_to_the_end_of_the_window(
    auth_client, user, settings, frozen_clock
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "sync": "1/m"}
    _sync_unknown(auth_client)
    first = _assert_rate_limited(_sync_unknown(auth_client))
    frozen_clock.shift(min(first - 1, 20))

    second = _assert_rate_limited(_sync_unknown(auth_client))

    assert second == max(1, first - min(first - 1, 20))


def test_rate_limit_lifts_after_the_window(auth_client, user, settings, frozen_clock) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "sync": "1/m"}
    _sync_unknown(auth_client)
    retry_after = _assert_rate_limited(_sync_unknown(auth_client))
    frozen_clock.shift(retry_after)

    assert_error(_sync_unknown(auth_client), 404, "ACCOUNT_NOT_FOUND")


# --- shared across server processes ---------------------------------------------------------


@pytest.mark.skipif(
    not REDIS_URL,
    reason="REDIS_URL is unset: the shared-counter check runs in CI's PostgreSQL + Redis pass",
)
def test_rate_limit_counter_is_shared_between_two_processes_redis_clients(
    auth_client, user, settings
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "sync": "2/m"}
    first = redis_client.shared_redis()
    for _ in range(2):
        assert_error(_sync_unknown(auth_client), 404, "ACCOUNT_NOT_FOUND")

    # What another server process holds: its own client, its own connection pool.
    redis_client._client.cache_clear()
    second = redis_client.shared_redis()
    assert second is not None
    assert second is not first
    assert second.connection_pool is not first.connection_pool

    _assert_rate_limited(_sync_unknown(auth_client))
