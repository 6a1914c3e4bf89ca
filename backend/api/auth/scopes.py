"""What an API key needs to call a route: derived in one place, checked on every operation.

A route needs `read` when it is a GET, `write` otherwise, unless it says more with a marker:
`@key_scope(Scope.PUBLISH)` (creating or cancelling a post) or `@login_only` (managing keys,
logout, token refresh: a key is never enough). `api_key_scope_guard` is installed on the whole
API (config/api.py, `api.add_decorator`): it wraps every operation's view, routes added later
included, and refuses a key outside its scopes with 403 INSUFFICIENT_SCOPE, before the role
check (`@requires`) and the rate limit. A JWT request pays one attribute lookup.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Final, ParamSpec, TypeVar

from django.http import HttpRequest

from apps.api_keys.access import API_KEY_PREFIX
from apps.api_keys.models import Scope
from apps.core.errors import InsufficientScope

P = ParamSpec("P")
R = TypeVar("R")

SCOPE_ATTRIBUTE = "api_key_scope"
LOGIN_ONLY: Final = "login"  # the marker of routes no key may call
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def key_scope(scope: Scope | str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Marks the scope a key needs for this route when its method's default does not fit."""

    def mark(view: Callable[P, R]) -> Callable[P, R]:
        setattr(view, SCOPE_ATTRIBUTE, scope)
        return view

    return mark


login_only = key_scope(LOGIN_ONLY)


def needed_scope(method: str, marked: Scope | str | None) -> Scope | None:
    """The scope a key needs to call a route (None: no key may)."""
    if marked == LOGIN_ONLY:
        return None
    if marked is not None:
        return Scope(marked)
    return Scope.READ if method in READ_METHODS else Scope.WRITE


def _bearer_is_a_key(request: HttpRequest) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and token.startswith(API_KEY_PREFIX)


def api_key_scope_guard(view: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps an operation's view: a request made with a key outside its scopes gets 403. On a
    public login-only route (token refresh) any key in the Authorization header is refused."""
    marked = getattr(view, SCOPE_ATTRIBUTE, None)

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        key = getattr(request, "api_key", None)
        if key is not None or (marked == LOGIN_ONLY and _bearer_is_a_key(request)):
            needed = needed_scope(request.method or "GET", marked)
            if key is None or needed is None or needed not in key.scopes:
                raise InsufficientScope(None if needed is None else needed.value)
        return view(request, *args, **kwargs)

    return guarded
