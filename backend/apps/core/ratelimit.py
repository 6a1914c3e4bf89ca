"""Per-user (or per-key) rate limits in the shared cache, answered as 429 with Retry-After.

django-ratelimit's semantics, one Redis round trip: the same fixed windows (`_get_window`,
offset per key), the same counter keys (`_make_cache_key`) and expiry (period + its fudge),
the same `RATELIMIT_ENABLE` switch; only the counting is ours, so that it can travel in the
same pipeline as the request's other cache reads (apps.core.shared_cache). The counters live
in the default cache: Redis when REDIS_URL is set, so the limits hold across server processes.

Redis down (`counting`): the login scopes fail CLOSED (the outage propagates: 503), since
unlimited password guessing is worse than a short login outage; every other scope fails OPEN
with a logged warning, since a cache outage must not take the API down.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import django_ratelimit.core as ratelimit_core
from django.conf import settings
from django.http import HttpRequest
from django_ratelimit import ALL

from apps.core.errors import RateLimited
from apps.core.outages import CACHE_OUTAGES
from apps.core.shared_cache import Counter, cache_round_trip

logger = logging.getLogger(__name__)

FAIL_CLOSED_SCOPES = frozenset({"login", "login_username"})


@dataclass(frozen=True)
class RateWindow:
    """One key's counter in the current fixed window of one scope."""

    counter: Counter
    limit: int
    window_end: int

    def check(self, count: int | None) -> None:
        """Raises RateLimited when `count` (the counter after this request) is over the limit."""
        if count is not None and count > self.limit:
            now = int(ratelimit_core.time.time())
            raise RateLimited(retry_after=max(1, self.window_end - now))


def rate_window(*, scope: str, key: str) -> RateWindow | None:
    """The counter of `key` under the `scope` limit; None when rate limiting is switched off."""
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return None
    rate = settings.RATE_LIMITS[scope]
    group = f"tta:{scope}"
    limit, period = ratelimit_core._split_rate(rate)
    window_end = ratelimit_core._get_window(key, period)
    cache_key = ratelimit_core._make_cache_key(group, window_end, rate, key, ALL)
    counter = Counter(key=cache_key, timeout=period + ratelimit_core.EXPIRATION_FUDGE)
    return RateWindow(counter=counter, limit=limit, window_end=window_end)


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
    if window is not None:
        count = None
        with counting(scope):
            _, count = cache_round_trip((), window.counter)
        window.check(count)
