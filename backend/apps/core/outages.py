"""A part the service depends on is down: what counts as an outage, and the cache used softly.

An outage (PostgreSQL unreachable or its connection dropped, Redis unreachable) is answered
503 SERVICE_UNAVAILABLE by the API's one error handler and by the middleware, never 500: the
request was fine, the client may retry. Anything else the database raises (a constraint, a
programming error) is a bug and stays a 500.

Caching is an optimisation, so the read cache, the cached JWT user and their invalidations
run their cache calls in `cache_optional`, which logs an unreachable cache and carries on from
the database. The rate limits decide per scope (apps.core.ratelimit: login fails closed, the
rest open). The cache uses that hold state nothing else holds (OAuth states, refresh leases)
call the cache directly and let the outage surface as a 503.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import redis.exceptions
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


@contextmanager
def cache_optional(consequence: str) -> Iterator[None]:
    """Runs cache calls that only save work (cached reads, the cached user) or invalidate after
    a committed write: an unreachable cache is logged with `consequence`, never raised."""
    try:
        yield
    except CACHE_OUTAGES as exc:
        logger.warning("Cache unreachable, %s: %s", consequence, type(exc).__name__)
