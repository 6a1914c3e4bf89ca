"""Per-user (or per-key) rate limits in the shared cache, answered as 429 with Retry-After.

Fixed windows: a rate `N/m` (apps.core.rates.rate_parts) lets N requests of one key through per
window of 60 seconds. A key's windows start at `offset + n * period` (n = 0, 1, ...), where
the offset, the key's CRC-32 modulo the period, spreads the window ends of different keys over
the period, so that not every client is let through again at the same second. A window's
counter is created at 0 expiring a few seconds after the window (`SET NX EX`) and incremented
(`INCR`) in the request's one round trip (apps.core.shared_cache, api.round_trip).
The 429's Retry-After is the number of seconds until the window ends. The counters live in the
default cache: Redis when REDIS_URL is set, so the limits hold across server processes.

Redis down (`counting`): the login scopes fail CLOSED (the outage propagates: 503), since
unlimited password guessing is worse than a short login outage; every other scope fails OPEN
with a logged warning, since a cache outage must not take the API down.
"""

from __future__ import annotations

import hashlib
import logging
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

from apps.core.errors import RateLimited
from apps.core.outages import CACHE_OUTAGES
from apps.core.rates import rate_parts
from apps.core.shared_cache import Counter, cache_round_trip

logger = logging.getLogger(__name__)

FAIL_CLOSED_SCOPES = frozenset({"login", "login_username"})
# A counter outlives its window by this much, so it cannot expire while still counted.
EXPIRY_MARGIN_SECONDS = 5


@dataclass(frozen=True)
class RateWindow:
    """One key's counter in the current fixed window of one scope."""

    counter: Counter
    limit: int
    retry_after: int  # seconds until this window ends, at least 1

    def check(self, count: int | None) -> None:
        """Raises RateLimited when `count` (the counter after this request) is over the limit."""
        if count is not None and count > self.limit:
            raise RateLimited(retry_after=self.retry_after)


def rate_window(*, scope: str, key: str) -> RateWindow:
    """The counter of `key` in its current window under the `scope` limit."""
    rate = settings.RATE_LIMITS[scope]
    limit, period = rate_parts(rate)
    offset = zlib.crc32(key.encode()) % period
    now = int(time.time())
    window = (now - offset) // period
    window_end = offset + (window + 1) * period
    # Hashed: the key may hold a username and an address, which have no place in key names.
    # The rate is part of the name, so a changed rate starts with fresh counters.
    digest = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
    counter = Counter(
        key=f"ratelimit:{scope}:{limit}/{period}s:{digest}:{window}",
        timeout=period + EXPIRY_MARGIN_SECONDS,
    )
    return RateWindow(counter=counter, limit=limit, retry_after=window_end - now)


@contextmanager
def counting(scope: str) -> Iterator[None]:
    """Wraps the cache round trip that counts a request against `scope`: an unreachable cache
    propagates for the login scopes (fail closed) and is logged for every other (fail open)."""
    try:
        yield
    except CACHE_OUTAGES as exc:
        if scope in FAIL_CLOSED_SCOPES:
            raise
        logger.warning(
            "Cache unreachable, rate limit %r not enforced for this request: %s",
            scope,
            type(exc).__name__,
        )


def rate_limit_hit(request: HttpRequest, *, scope: str, key: str) -> None:
    """Counts one request against `scope` for `key`; raises RateLimited once over the limit."""
    window = rate_window(scope=scope, key=key)
    count = None
    with counting(scope):
        _, count = cache_round_trip((), window.counter)
    window.check(count)
