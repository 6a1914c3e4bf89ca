"""Who an API key is, from the shared cache: no SQL on a warm request, revocation seen at once.

A key's user, workspace, scopes and expiry never change after creation, so each process keeps
them (`KeyFacts`) by the key's hash once read: the request then knows whose user, membership
and key entries to fetch, and fetches them in its one round trip with the rate-limit counter
(api.round_trip), like a JWT. What can change is whether the key still counts: revoked (or
deleted), its user deactivated, its user no longer a member of its workspace. Each of the three
has its cache entry, marked STALE when the change commits (the key's here, the user's in
apps.core.user_cache, the membership's in apps.workspaces.access), so a revoked key is refused
at the next request by every process. Only live keys are cached; an entry that is missing or
STALE costs one query that reads the key, its user and the role together.
Without a shared cache, every request asks the database (one query).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from apps.api_keys.models import ApiKey
from apps.core.outages import cache_optional
from apps.core.shared_cache import Entry, cache_is_shared, cache_store, cache_store_on_commit
from apps.core.user_cache import STALE, STALE_SECONDS, USER_TTL_SECONDS, user_cache_key
from apps.workspaces.access import member_cache_key
from apps.workspaces.models import Membership, Role

API_KEY_PREFIX = "tta_"
PREFIX_LENGTH = 12  # what is stored and shown of a key: "tta_" and 8 random characters
_MEMO_SIZE = 4096
# An unknown hash is remembered too: a key can only become known by being created, and no one
# presents a 240-bit random key before it exists.
_FACTS: dict[str, KeyFacts | None] = {}
_TOUCHED: dict[uuid.UUID, int] = {}


@dataclass(frozen=True)
class KeyFacts:
    """What never changes about a key (request.api_key on a request made with one)."""

    id: uuid.UUID
    user_id: Any
    workspace_id: uuid.UUID
    scopes: frozenset[str]
    expires_at: float | None  # a Unix time

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and self.expires_at <= now


@dataclass(frozen=True)
class KeyCaller:
    user: AbstractBaseUser
    role: Role


def api_key_hash(key: str) -> str:
    """SHA-256: a key carries 240 random bits, so no slow hash is needed (docs/api-keys.md)."""
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_cache_key(key_id: object) -> str:
    return f"api-key:{key_id}"


def _rows(**lookup: Any) -> Any:
    role_there = Membership.objects.filter(
        workspace_id=OuterRef("workspace_id"), user_id=OuterRef("user_id")
    ).values("role")[:1]
    return (
        ApiKey.objects.filter(**lookup)
        .select_related("user")
        .annotate(member_role=Subquery(role_there))
    )


def _facts(row: ApiKey) -> KeyFacts:
    return KeyFacts(
        id=row.id,
        user_id=row.user_id,
        workspace_id=row.workspace_id,
        scopes=frozenset(row.scopes),
        expires_at=None if row.expires_at is None else row.expires_at.timestamp(),
    )


def key_facts(key: str) -> tuple[KeyFacts | None, ApiKey | None]:
    """The key's facts (None: unknown) and, when they were not known here yet, its row as read
    with its user and role (one query), so the caller does not read it again."""
    key_hash = api_key_hash(key)
    if key_hash in _FACTS:
        return _FACTS[key_hash], None
    row = _rows(key_hash=key_hash).first()
    if len(_FACTS) >= _MEMO_SIZE:
        _FACTS.clear()
    _FACTS[key_hash] = None if row is None else _facts(row)
    return _FACTS[key_hash], row


def _live(value: Any) -> bool:
    return value is not None and value != STALE


def key_caller(
    facts: KeyFacts, cached: tuple[Any, Any, Any], row: ApiKey | None
) -> KeyCaller | None:
    """The key's active user and their role in its workspace, or None (refused). `cached`: the
    cache's values for the user, the membership and the key; no SQL when all three are there,
    else one query (unless `row` was just read), and the missing entries are stored at once."""
    user, role, key = cached
    if _live(user) and _live(role) and _live(key):
        return KeyCaller(user, Role(role)) if user.is_active else None
    row = row or _rows(pk=facts.id).first()
    if row is None:
        return None
    live_user = row.user if row.user.is_active else None
    entries = [
        Entry(name, value, USER_TTL_SECONDS, only_new=True)
        for name, value, was in (
            (api_key_cache_key(row.id), facts if row.revoked_at is None else None, key),
            (user_cache_key(row.user_id), live_user, user),
            (member_cache_key(row.workspace_id, row.user_id), row.member_role, role),
        )
        if value is not None and was is None  # never over a STALE marker
    ]
    if entries and cache_is_shared():
        with cache_optional("API key not cached"):
            cache_store(*entries)
    if row.revoked_at is not None or live_user is None or row.member_role is None:
        return None
    return KeyCaller(live_user, Role(row.member_role))


def api_key_touch(key_id: uuid.UUID) -> None:
    """Records a use in last_used_at at most once per clock minute per key: a process asks the
    cache (`add`, shared by every process) once a minute per key, and only the first asker
    of the minute writes."""
    minute = int(time.time() // 60)
    if _TOUCHED.get(key_id) == minute:
        return
    if len(_TOUCHED) >= _MEMO_SIZE:
        _TOUCHED.clear()
    _TOUCHED[key_id] = minute
    with cache_optional("API key use recorded without the cache's gate"):
        if not cache.add(f"api-key-used:{key_id}:{minute}", 1, 120):
            return
    ApiKey.objects.filter(pk=key_id).update(last_used_at=timezone.now())


def api_key_changed(sender: type, instance: ApiKey, **kwargs: Any) -> None:
    """post_save / post_delete of ApiKey (a revoke, a cascade): the cached key is stale once
    this commits (a new key has nothing cached)."""
    if kwargs.get("created"):
        return
    entry = Entry(api_key_cache_key(instance.pk), STALE, STALE_SECONDS)
    cache_store_on_commit(entry, lost="cached API key not marked stale")
