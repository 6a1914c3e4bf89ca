"""Per-user (or per-key) rate limits in the shared cache, answered as 429 with Retry-After.

django-ratelimit does the counting in the default cache (Redis when REDIS_URL is set, so the
limits hold across server processes); this module only names the limits and raises our error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from apps.core.errors import RateLimited

P = ParamSpec("P")
R = TypeVar("R")


def rate_limit_hit(request: HttpRequest, *, scope: str, key: str) -> None:
    """Counts one request against `scope` for `key`; raises RateLimited once over the limit."""
    usage = get_usage(
        request,
        group=f"tta:{scope}",
        key=lambda _group, _request: key,
        rate=settings.RATE_LIMITS[scope],
        increment=True,
    )
    if usage is not None and usage["should_limit"]:
        raise RateLimited(retry_after=max(1, int(usage["time_left"])))


def user_rate_limit(scope: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorates an authenticated route: counts the call against the caller's `scope` limit."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            request = args[0]
            assert isinstance(request, HttpRequest)
            rate_limit_hit(request, scope=scope, key=f"user:{request.auth.pk}")  # type: ignore[attr-defined]
            return view(*args, **kwargs)

        return wrapper

    return decorator
