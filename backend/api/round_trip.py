"""One shared-cache round trip per authenticated request (a read-cache miss adds the store).

An authenticated request needs from the shared cache its user (apps.core.user_cache), on a
workspace route its role there (apps.workspaces.access), its rate-limit counter and, on a
cached read, the answer and the workspace's reads version (api.caching). Each was a round
trip of its own; Redis answers one in about 0.1 ms, a third of a cached read. So a route says
what it needs up front: its decorator (`user_rate_limit`, `cached_read`) wraps the whole
operation with Ninja's `decorate_view`, which runs before authentication, and leaves a
`RoundTripPlan` on the request. The JWT auth (api.auth.security) then reads the user,
counts the request and reads the planned keys in one pipeline (`user_round_trip`), and
leaves what it got on the request (`Fetched`), where the decorator's view wrapper finds it
(`rate_checked`).

The limit is checked in the view wrapper, as before: a request with bad input is answered 422
(and counted) even when over the limit.

An unreachable cache: the user comes from the database, the limit is not enforced for this
request (user routes fail open, apps.core.ratelimit), nothing is served from or stored in
the read cache. All logged, once.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from django.http import HttpRequest
from ninja.decorators import decorate_view

from apps.core.outages import CACHE_OUTAGES
from apps.core.ratelimit import FAIL_CLOSED_SCOPES, RateWindow, rate_limit_hit, rate_window
from apps.core.shared_cache import cache_is_shared, cache_round_trip
from apps.core.user_cache import STALE, user_cache_key

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
_PLAN, _FETCHED = "round_trip_plan", "round_trip_fetched"


@dataclass(frozen=True)
class RoundTripPlan:
    """What a route reads with its user: its rate-limit scope and, given the user id, more keys."""

    scope: str
    keys: Callable[[HttpRequest, object], list[str]] | None = None


@dataclass(frozen=True)
class Fetched:
    window: RateWindow
    count: int | None  # the counter after this request; None: the cache was unreachable
    values: dict[str, Any] = field(default_factory=dict)  # the plan's keys (None: missing)
    reached: bool = False


def user_rate_key(user_id: object) -> str:
    return f"user:{user_id}"


def planned(plan: RoundTripPlan) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declares `plan` for the decorated route (a decorator below `@router.<method>`)."""

    def announce(run: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(run)
        def run_with_plan(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            setattr(request, _PLAN, plan)
            return run(request, *args, **kwargs)

        return run_with_plan

    return decorate_view(announce)  # type: ignore[return-value]


def user_round_trip(
    request: HttpRequest, user_id: object, auth_keys: Sequence[str] = ()
) -> tuple[Any, list[Any]]:
    """For the auth: the user's cache value (STALE: read the database, store nothing; None:
    not cached) and the values of `auth_keys` (the caller's membership: STALE when the cache
    was unreachable), fetched with what the route planned, which is left on the request."""
    plan: RoundTripPlan | None = getattr(request, _PLAN, None)
    user_keys = [user_cache_key(user_id), *auth_keys] if cache_is_shared() else []
    window = rate_window(scope=plan.scope, key=user_rate_key(user_id)) if plan else None
    extra = plan.keys(request, user_id) if plan and plan.keys else []
    keys = user_keys + extra
    values: list[Any] = [None] * len(keys)
    count, reached = None, False
    if keys or window is not None:
        try:
            values, count = cache_round_trip(keys, window.counter if window else None)
            reached = True
        except CACHE_OUTAGES as exc:
            if plan is not None and plan.scope in FAIL_CLOSED_SCOPES:
                raise
            logger.warning(
                "Cache unreachable, user read from the database, rate limit %r not enforced "
                "for this request: %s",
                plan.scope if plan else None,
                type(exc).__name__,
            )
    if plan is not None and window is not None:
        found = dict(zip(extra, values[len(user_keys) :], strict=True))
        setattr(request, _FETCHED, Fetched(window, count, found, reached))
    if not user_keys:
        return None, [None] * len(auth_keys)
    if not reached:
        return STALE, [STALE] * len(auth_keys)
    return values[0], values[1 : len(user_keys)]


def rate_checked(request: HttpRequest, scope: str) -> Fetched | None:
    """Raises RateLimited when the request is over the `scope` limit; returns what the auth
    fetched for the route (None if the auth fetched nothing: then it is counted here)."""
    found: Fetched | None = getattr(request, _FETCHED, None)
    if found is None:
        rate_limit_hit(request, scope=scope, key=user_rate_key(request.auth.pk))  # type: ignore[attr-defined]
        return None
    found.window.check(found.count)
    return found


def user_rate_limit(scope: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorates an authenticated route: counts the call against the caller's `scope` limit
    (in the auth's round trip) and refuses it with 429 once over."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            request = args[0]
            assert isinstance(request, HttpRequest)
            rate_checked(request, scope)
            return view(*args, **kwargs)

        return planned(RoundTripPlan(scope))(wrapper)

    return decorator
