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

from apps.core.outages import cache_optional
from apps.core.shared_cache import Entry, cache_is_shared, cache_store, cache_store_on_commit
from apps.core.user_cache import STALE, STALE_SECONDS, USER_TTL_SECONDS
from apps.workspaces.models import Membership, Role


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


def member_role(workspace_id: uuid.UUID, user_id: object, cached: Any) -> Role | None:
    """The user's role in the workspace (`cached`: the cache's value for its key), or None."""
    if cached is not None and cached != STALE:
        return Role(cached)
    role = (
        Membership.objects.filter(workspace_id=workspace_id, user_id=user_id)
        .values_list("role", flat=True)
        .first()
    )
    if role is not None and cached is None and cache_is_shared():
        with cache_optional("membership not cached"):
            key = member_cache_key(workspace_id, user_id)
            cache_store(Entry(key, role, USER_TTL_SECONDS, only_new=True))
    return None if role is None else Role(role)


def membership_changed(sender: type, instance: Membership, **kwargs: Any) -> None:
    """post_save / post_delete of Membership: the cached role is stale once this commits."""
    entry = Entry(member_cache_key(instance.workspace_id, instance.user_id), STALE, STALE_SECONDS)
    cache_store_on_commit(entry, lost="cached membership not marked stale")
