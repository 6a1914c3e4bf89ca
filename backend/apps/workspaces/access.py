"""A caller's role in a workspace, from the shared cache: no SQL on a warm request, never stale.

Every request to a workspace route needs the caller's role there. It is cached per
(workspace, user) and read in the request's one round trip with the user (api.round_trip).
Like the cached user (apps.core.user_cache), every save or delete of a Membership (a join, a
role change, a removal, a deleted workspace's cascade) marks the entry STALE when it commits;
while the marker lives, requests read the database and may only `add` (SET NX) what they read,
which the marker refuses. So a removed or demoted member is refused from their very next
request, by every process. Non-members are not cached: a 404 costs one query.
Without a shared cache the database is asked on every request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import OuterRef, QuerySet, Subquery

from apps.core.outages import cache_optional
from apps.core.shared_cache import Entry, cache_is_shared, cache_store, cache_store_on_commit
from apps.core.user_cache import (
    STALE,
    STALE_SECONDS,
    USER_TTL_SECONDS,
    user_cache_fill,
    user_from_cached,
)
from apps.workspaces.models import Membership, Role

NOT_READ: Any = object()  # member_role: the role was not read with the user


@dataclass(frozen=True)
class WorkspaceAccess:
    """The workspace a request acts in and the caller's role there (request.workspace)."""

    id: uuid.UUID
    user_id: object
    role: Role

    @property
    def owner(self) -> str:
        """What its cursors are bound to: this workspace and this user (apps.core.cursor)."""
        return f"{self.id}:{self.user_id}"


def member_cache_key(workspace_id: object, user_id: object) -> str:
    return f"member:{workspace_id}:{user_id}"


def _roles(workspace_id: uuid.UUID) -> QuerySet[Membership]:
    return Membership.objects.filter(workspace_id=workspace_id)


def member_role(
    workspace_id: uuid.UUID, user_id: object, cached: Any, found: str | None = NOT_READ
) -> Role | None:
    """The user's role in the workspace (`cached`: the cache's value for its key; `found`:
    the role read with the user, if it was), or None."""
    if cached is not None and cached != STALE:
        return Role(cached)
    role = found
    if role is NOT_READ:
        role = _roles(workspace_id).filter(user_id=user_id).values_list("role", flat=True).first()
    if role is not None and cached is None and cache_is_shared():
        with cache_optional("membership not cached"):
            key = member_cache_key(workspace_id, user_id)
            cache_store(Entry(key, role, USER_TTL_SECONDS, only_new=True))
    return None if role is None else Role(role)


def caller_in_workspace(
    user_id: object, workspace_id: uuid.UUID, cached_user: Any, cached_role: Any
) -> tuple[AbstractBaseUser | None, Role | None]:
    """The active user and their role in the workspace, from the cache values of both: no SQL
    when both are cached, else one query (the user with their role as a subquery, or the role
    alone)."""
    if cached_user is not None and cached_user != STALE:
        user = user_from_cached(user_id, cached_user)
        return user, None if user is None else member_role(workspace_id, user_id, cached_role)
    role_there = _roles(workspace_id).filter(user_id=OuterRef("pk")).values("role")[:1]
    user = (
        get_user_model()
        .objects.annotate(workspace_role=Subquery(role_there))
        .filter(pk=user_id, is_active=True)
        .first()
    )
    if user is None:
        return None, None
    found = user.__dict__.pop("workspace_role")  # not part of the cached user
    user_cache_fill(user, cached_user)
    return user, member_role(workspace_id, user_id, cached_role, found)


def membership_changed(sender: type, instance: Membership, **kwargs: Any) -> None:
    """post_save / post_delete of Membership: the cached role is stale once this commits (a
    new membership has nothing cached: non-members are never cached)."""
    if kwargs.get("created"):
        return
    entry = Entry(member_cache_key(instance.workspace_id, instance.user_id), STALE, STALE_SECONDS)
    cache_store_on_commit(entry, lost="cached membership not marked stale")
