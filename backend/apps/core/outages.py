"""A part the service depends on is down: what counts as an outage, and the cache used softly.

An outage (PostgreSQL unreachable or its connection dropped, Redis unreachable) is answered
503 SERVICE_UNAVAILABLE by the API's one error handler and by the middleware, never 500: the
request was fine, the client may retry. Anything else the database raises (a constraint, a
programming error) is a bug and stays a 500.

Caching of reads is an optimisation, so the read cache goes through `cache_get`, `cache_set`
and `cache_delete`, which treat an unreachable cache as a miss and log a warning. The cache
uses that hold state nothing else holds (OAuth states, refresh leases) call the cache directly
and let the outage surface as a 503.
"""

from __future__ import annotations

import logging
from typing import Any

import redis.exceptions
from django.core.cache import cache
from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)

DATABASE_OUTAGES: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
CACHE_OUTAGES: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
OUTAGES = DATABASE_OUTAGES + CACHE_OUTAGES


def outage_part(exc: BaseException) -> str | None:
    """ "database" or "cache" when `exc` means that part is down, else None."""
    if isinstance(exc, DATABASE_OUTAGES):
        return "database"
    if isinstance(exc, CACHE_OUTAGES):
        return "cache"
    return None


def cache_get(key: str) -> Any:
    """The cached value, or None when it is missing or the cache cannot be reached."""
    try:
        return cache.get(key)
    except CACHE_OUTAGES as exc:
        logger.warning("Cache unreachable, reading uncached: %s", type(exc).__name__)
        return None


def cache_set(key: str, value: Any, timeout: float) -> None:
    try:
        cache.set(key, value, timeout)
    except CACHE_OUTAGES as exc:
        logger.warning("Cache unreachable, value not cached: %s", type(exc).__name__)


def cache_delete(key: str) -> None:
    """Invalidation after a committed write: the write stands; what the unreachable cache
    still holds expires with its TTL (a restarted Redis, which keeps no data here, holds none)."""
    try:
        cache.delete(key)
    except CACHE_OUTAGES as exc:
        logger.warning("Cache unreachable, entry not invalidated: %s", type(exc).__name__)
