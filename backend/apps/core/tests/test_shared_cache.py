"""The shared cache's own value format, and that what the module stores is what it reads."""

from __future__ import annotations

import os
import pickle

import pytest
import redis
from django.core.cache import cache

from apps.core import redis_client
from apps.core.shared_cache import Counter, Entry, cache_round_trip, cache_store, decode, encode
from apps.core.user_cache import STALE
from integrations.tiktok import budget
from testing.factories import UserFactory

REDIS_URL = os.environ.get("REDIS_URL", "").strip()
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="REDIS_URL is unset: runs in CI's PostgreSQL + Redis pass"
)
# What the read cache, the user cache and the stale marker store.
VALUES = [STALE, "0123456789abcdef", ("0123456789abcdef", b'{"items":[],"total":0}')]


@pytest.mark.parametrize("value", VALUES)
def test_the_format_is_pickle_protocol_5_and_round_trips(value) -> None:
    raw = encode(value)

    assert raw == pickle.dumps(value, protocol=5)
    assert raw[:2] == b"\x80\x05"
    assert decode(raw) == value


@pytest.mark.django_db
def test_a_cached_user_round_trips_with_its_fields() -> None:
    user = UserFactory()

    again = decode(encode(user))

    assert (again.pk, again.username, again.is_active) == (user.pk, user.username, True)
    assert again.password == user.password


@pytest.mark.django_db
@pytest.mark.parametrize("value", VALUES)
def test_what_the_module_stores_is_what_it_reads(value) -> None:
    cache_store(Entry("format-test", value, 60))

    values, count = cache_round_trip(["format-test", "missing"])

    assert values == [value, None]
    assert count is None


@pytest.mark.django_db
def test_only_new_keeps_the_first_value_and_the_counter_counts() -> None:
    cache_store(Entry("first", "one", 60, only_new=True))
    cache_store(Entry("first", "two", 60, only_new=True))

    counted = [cache_round_trip(["first"], Counter("hits", 60)) for _ in range(2)]

    assert counted == [(["one"], 1), (["one"], 2)]


@needs_redis
@pytest.mark.django_db
def test_on_redis_the_stored_bytes_are_the_documented_format_under_djangos_key() -> None:
    cache_store(Entry("format-test", VALUES[2], 60))

    raw = redis_client.shared_redis().get(cache.make_key("format-test"))

    assert raw == pickle.dumps(VALUES[2], protocol=5)


@needs_redis
def test_the_round_trip_and_the_tiktok_budget_share_one_redis_client(monkeypatch) -> None:
    made: list[redis.Redis] = []
    from_url = redis.Redis.from_url

    def counting(url: str, **options: object) -> redis.Redis:
        made.append(from_url(url, **options))
        return made[-1]

    monkeypatch.setattr(redis.Redis, "from_url", counting)
    redis_client._client.cache_clear()

    cache_round_trip(["format-test"], Counter("hits", 60))
    budget.budget_take()

    assert made == [redis_client.shared_redis()]
