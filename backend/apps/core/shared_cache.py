"""Several reads and one counter of the shared cache in ONE round trip.

A request needs its rate-limit counter, its cached user and, on cached routes, the cached
answer: on Redis they travel in one pipeline (`SET NX EX` + `INCR`: the counter starts at 0
with the window's expiry and is counted atomically). Any other backend (local memory in the
SQLite tests, files in development) gets the same calls one by one through Django's cache API.

On Redis, only public APIs: the process's one redis-py client (apps.core.redis_client), keys
made by the cache's own `make_key` (its KEY_PREFIX and VERSION), and values in this module's
own format (`encode`/`decode`): the pickle, protocol 5, of the value. Pickle, because the cached
user is a model instance, which Django supports pickling within one Django version; protocol
5 pinned, so that a newer Python's default cannot write what an older process in the same
rollout fails to read. Only this module reads and writes these keys (the cached user, the
read-cache versions and answers, the stale marker); a counter is a plain Redis integer, read
from INCR's reply. Like Django's cache, this trusts what Redis holds.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction

from apps.core.outages import cache_optional
from apps.core.redis_client import shared_redis

PICKLE_PROTOCOL = 5


def encode(value: Any) -> bytes:
    """The stored form of `value` (see the module's docstring)."""
    return pickle.dumps(value, protocol=PICKLE_PROTOCOL)


def decode(raw: bytes) -> Any:
    """The value `encode` stored as `raw`."""
    return pickle.loads(raw)  # noqa: S301 (our own values, in our own Redis)


@dataclass(frozen=True)
class Counter:
    """A counter to increment in the round trip; created at 0 with `timeout` when missing."""

    key: str
    timeout: int


def cache_is_shared() -> bool:
    """True when every server process sees the same cache (Redis), so it may hold reads."""
    return bool(settings.CACHE_IS_SHARED)


def cache_round_trip(
    keys: Sequence[str], counter: Counter | None = None
) -> tuple[list[Any], int | None]:
    """Returns the values of `keys` (None when missing) and the counter's new value."""
    cache, client = caches["default"], shared_redis()
    if client is None:
        values = cache.get_many(keys) if keys else {}
        count = None
        if counter is not None:
            cache.add(counter.key, 0, counter.timeout)
            count = cache.incr(counter.key)
        return [values.get(key) for key in keys], count
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.get(cache.make_key(key))
    if counter is not None:
        made = cache.make_key(counter.key)
        pipe.set(made, 0, ex=counter.timeout, nx=True)
        pipe.incr(made)
    results = pipe.execute()
    values = [None if raw is None else decode(raw) for raw in results[: len(keys)]]
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
    cache, client = caches["default"], shared_redis()
    if client is None:
        for entry in entries:
            store = cache.add if entry.only_new else cache.set
            store(entry.key, entry.value, entry.timeout)
        return
    pipe = client.pipeline(transaction=False)
    for entry in entries:
        made = cache.make_key(entry.key)
        pipe.set(made, encode(entry.value), ex=entry.timeout, nx=entry.only_new)
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
