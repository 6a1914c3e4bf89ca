"""Which workspace a request acts in, and whether the caller's role may do what it asks.

Every route under /api/accounts, /api/posts, /api/jobs, /api/audit-logs, /api/webhook-endpoints
and /api/webhook-deliveries is declared on a `WorkspaceRouter`: its auth (WorkspaceJWTAuth)
resolves the workspace named by `X-Workspace-Id`, or the caller's personal one, and the
caller's role there (request.workspace), and each route says the least role it needs with
`@requires(...)`. A route without that rule cannot be declared: `WorkspaceRouter` refuses it at
import, so no new route can forget it (config/tests/test_role_matrix.py walks them all).

The `/api/workspaces/{workspace_id}` routes name their workspace in the path instead: they
declare their least role with `@path_workspace(...)`, which applies the same `requires`.
Header or path, the workspace is read the same way (`_workspace_id`) and entered through the
same two rules: an API key acts in its own workspace only (`_key_acts_in`), and a caller with
no role there gets 404 WORKSPACE_NOT_FOUND (`_act_in`).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from ninja import Router

from api.auth.security import REQUESTED_WORKSPACE, JWTAuth, api_key_caller
from api.round_trip import RoundTripPlan, planned, rate_checked, user_round_trip
from apps.core.errors import (
    WORKSPACE_ERRORS,
    InsufficientRole,
    InvalidInput,
    WorkspaceNotFound,
)
from apps.core.shared_cache import cache_is_shared
from apps.core.user_cache import STALE, user_from_cached
from apps.workspaces.access import (
    WorkspaceAccess,
    caller_in_workspace,
    member_cache_key,
    member_role,
)
from apps.workspaces.models import Role
from apps.workspaces.personal import personal_workspace_id

P = ParamSpec("P")
R = TypeVar("R")

WORKSPACE_HEADER = "X-Workspace-Id"
ROLE_ATTRIBUTE = "workspace_role"
_REQUESTED = REQUESTED_WORKSPACE

_MALFORMED_HEADER: dict[str, object] = {
    "loc": ["header", WORKSPACE_HEADER],
    "msg": "Input should be a valid UUID.",
    "type": "uuid_parsing",
}

HEADER_PARAMETER = {
    "in": "header",
    "name": WORKSPACE_HEADER,
    "required": False,
    "description": "The workspace to act in (a UUID); your personal workspace when absent.",
    "schema": {"type": "string", "format": "uuid"},
}


def _workspace_id(raw: object) -> uuid.UUID | None:
    """A workspace id as the header or the path spells it; None when it is no UUID."""
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


def requested_workspace_id(request: HttpRequest, user_id: object) -> uuid.UUID | None:
    """The workspace the request names (or the caller's personal one); None if malformed."""
    if hasattr(request, _REQUESTED):
        return getattr(request, _REQUESTED)
    raw = request.headers.get(WORKSPACE_HEADER)
    found = personal_workspace_id(user_id) if raw is None else _workspace_id(raw.strip())
    setattr(request, _REQUESTED, found)
    return found


def _key_acts_in(request: HttpRequest, workspace_id: uuid.UUID) -> None:
    """A request made with an API key may name only the key's own workspace: another one is
    404 WORKSPACE_NOT_FOUND, even where the key's user is a member there."""
    api_key = getattr(request, "api_key", None)
    if api_key is not None and api_key.workspace_id != workspace_id:
        raise WorkspaceNotFound


def _act_in(
    request: HttpRequest, workspace_id: uuid.UUID, user_id: object, role: Role | None
) -> None:
    """Sets request.workspace: the caller's `role` in the workspace, or 404
    WORKSPACE_NOT_FOUND (None: no member), a missing workspace and another team's alike."""
    if role is None:
        raise WorkspaceNotFound
    request.workspace = WorkspaceAccess(workspace_id, user_id, role)  # type: ignore[attr-defined]


def requires(role: Role) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """The least role a workspace route needs: 403 INSUFFICIENT_ROLE (naming it) below."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            request = args[0]
            if not request.workspace.role.at_least(role):  # type: ignore[attr-defined]
                raise InsufficientRole(role.value)
            return view(*args, **kwargs)

        setattr(wrapper, ROLE_ATTRIBUTE, role)
        return wrapper

    return decorator


class WorkspaceJWTAuth(JWTAuth):
    """The JWT's user and their role in the requested workspace, in the same round trip."""

    def caller(self, request: HttpRequest, user_id: object) -> AbstractBaseUser | None:
        workspace_id = requested_workspace_id(request, user_id)
        keys = [] if workspace_id is None else [member_cache_key(workspace_id, user_id)]
        cached, member = user_round_trip(request, user_id, keys)
        if workspace_id is None:
            if user_from_cached(user_id, cached) is None:
                return None
            raise InvalidInput([_MALFORMED_HEADER])
        user, role = caller_in_workspace(user_id, workspace_id, cached, member[0])
        if user is None:
            return None
        _act_in(request, workspace_id, user.pk, role)
        request.user = user
        return user

    def key_caller(self, request: HttpRequest, key: str) -> AbstractBaseUser | None:
        """An API key acts in its own workspace only: absent header = that one, another = 404."""
        found = api_key_caller(request, key)
        if found is None:
            return None
        facts, caller = found
        raw = request.headers.get(WORKSPACE_HEADER)
        named = facts.workspace_id if raw is None else _workspace_id(raw.strip())
        if named is None:
            raise InvalidInput([_MALFORMED_HEADER])
        _key_acts_in(request, named)
        _act_in(request, facts.workspace_id, caller.user.pk, caller.role)
        return caller.user


class RoleRouter(Router):
    """A router that shows each route's least role in the OpenAPI document
    (`x-required-role`), for the routes that declare one (`requires`, `path_workspace`)."""

    def add_api_operation(self, path: str, methods: list[str], view_func: Any, **kw: Any) -> None:
        role = getattr(view_func, ROLE_ATTRIBUTE, None)
        if role is not None:
            kw["openapi_extra"] = {**(kw.get("openapi_extra") or {}), "x-required-role": role.value}
        super().add_api_operation(path, methods, view_func, **kw)


class WorkspaceRouter(RoleRouter):
    """A router whose every route acts in a workspace and declares its least role."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(auth=WorkspaceJWTAuth(), **kwargs)

    def add_api_operation(self, path: str, methods: list[str], view_func: Any, **kw: Any) -> None:
        if getattr(view_func, ROLE_ATTRIBUTE, None) is None:
            raise TypeError(f"{view_func.__qualname__}: a workspace route needs @requires(role)")
        # Every workspace route may answer 404 WORKSPACE_NOT_FOUND and 403 INSUFFICIENT_ROLE.
        kw["response"] = {**kw["response"], **WORKSPACE_ERRORS}
        extra = dict(kw.pop("openapi_extra", None) or {})
        extra["parameters"] = [*extra.get("parameters", []), HEADER_PARAMETER]
        super().add_api_operation(path, methods, view_func, openapi_extra=extra, **kw)


def _path_member_key(request: HttpRequest, user_id: object) -> list[str]:
    """The caller's membership of the path's workspace, read in the auth's round trip."""
    raw = (request.resolver_match.kwargs if request.resolver_match else {}).get("workspace_id")
    workspace_id = _workspace_id(raw)
    if workspace_id is None:
        return []  # answered 422 before the view runs
    return [member_cache_key(workspace_id, user_id)] if cache_is_shared() else []


def path_workspace(role: Role, *, scope: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """For a `/workspaces/{workspace_id}/...` route (the workspace named by the path, not the
    header): counts the call against the caller's `scope` rate limit, then 404
    WORKSPACE_NOT_FOUND to a non-member and `requires(role)`. The membership comes from the
    auth's round trip, like the header routes' (api.round_trip)."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        checked = requires(role)(view)

        @functools.wraps(checked)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            request = args[0]
            assert isinstance(request, HttpRequest)
            fetched = rate_checked(request, scope)
            workspace_id = kwargs["workspace_id"]
            assert isinstance(workspace_id, uuid.UUID)
            _key_acts_in(request, workspace_id)
            user_id = request.auth.pk  # type: ignore[attr-defined]
            key = member_cache_key(workspace_id, user_id)
            cached = fetched.values.get(key) if fetched and fetched.reached else STALE
            _act_in(request, workspace_id, user_id, member_role(workspace_id, user_id, cached))
            return checked(*args, **kwargs)

        return planned(RoundTripPlan(scope, keys=_path_member_key))(wrapper)

    return decorator
