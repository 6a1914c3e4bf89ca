"""Several reads and one counter of the shared cache in ONE round trip.

A request needs its rate-limit counter, its cached user and, on cached routes, the cached
answer: on Redis they travel in one pipeline (`SET NX EX` + `INCR` is django-ratelimit's
`add` + `incr`: the counter starts with the window's expiry and is counted atomically). Any
other backend (local memory in development and the SQLite tests) gets the same calls one by one.

The Redis client and serializer are those of Django's RedisCache (`cache._cache`), so keys,
prefixes and values stay exactly what `cache.get`/`cache.set` read and write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction

from apps.core.outages import cache_optional


@dataclass(frozen=True)
class Counter:
    """A counter to increment in the round trip; created at 0 with `timeout` when missing."""

    key: str
    timeout: int


def cache_is_shared() -> bool:
    """True when every server process sees the same cache (Redis), so it may hold reads."""
    return bool(settings.CACHE_IS_SHARED)


def _client(cache: RedisCache) -> Any:
    """One redis-py client per cache object: Django builds a new one on every call (~0.1 ms)."""
    client = cache.__dict__.get("_shared_cache_client")
    if client is None:
        client = cache.__dict__["_shared_cache_client"] = cache._cache.get_client(write=True)
    return client


def cache_round_trip(
    keys: Sequence[str], counter: Counter | None = None
) -> tuple[list[Any], int | None]:
    """Returns the values of `keys` (None when missing) and the counter's new value."""
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        values = cache.get_many(keys) if keys else {}
        count = None
        if counter is not None:
            cache.add(counter.key, 0, counter.timeout)
            count = cache.incr(counter.key)
        return [values.get(key) for key in keys], count
    pipe = _client(cache).pipeline(transaction=False)
    for key in keys:
        pipe.get(cache.make_key(key))
    if counter is not None:
        made = cache.make_key(counter.key)
        pipe.set(made, 0, ex=counter.timeout, nx=True)
        pipe.incr(made)
    results = pipe.execute()
    loads = cache._cache._serializer.loads
    values = [None if raw is None else loads(raw) for raw in results[: len(keys)]]
    return values, (int(results[-1]) if counter is not None else None)


@dataclass(frozen=True)
class Entry:
    """A value to store; `only_new`: only when the key is missing (`cache.add`)."""

    key: str
    value: Any
    timeout: int | None
    only_new: bool = False


def cache_store(*entries: Entry) -> None:
    """Stores every entry in one round trip (`timeout` None: no expiry)."""
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        for entry in entries:
            store = cache.add if entry.only_new else cache.set
            store(entry.key, entry.value, entry.timeout)
        return
    pipe = _client(cache).pipeline(transaction=False)
    dumps = cache._cache._serializer.dumps
    for entry in entries:
        made = cache.make_key(entry.key)
        pipe.set(made, dumps(entry.value), ex=entry.timeout, nx=entry.only_new)
    pipe.execute()


def cache_store_on_commit(*entries: Entry, lost: str) -> None:
    """Stores `entries` (invalidations) once the current transaction commits, in one round
    trip. The write has committed by then, so an unreachable cache is logged as `lost`, never
    raised into the request (docs/operations.md, "After a Redis outage", says what a lost
    invalidation costs)."""

    def store() -> None:
        with cache_optional(lost):
            cache_store(*entries)

    transaction.on_commit(store)
