"""The JWT's user from the shared cache: no SQL per request, yet a change is seen at once.

Every save or delete of a user marks its cache entry STALE when the change commits (signals,
connected in CoreConfig.ready, so admin, shell and commands alike are covered). While the
marker lives, requests read the user from the database and cannot cache it: a request that
read the old row just before the commit can only `add` (SET NX) it, which the marker refuses.
The marker outlives any request (STALE_SECONDS > gunicorn's timeout), so such a late `add`
can never land after it. A deactivated or deleted user is thus refused on the very next
request, by every process sharing the cache. QuerySet.update() sends no signal: code that
changes users that way must call `user_cache_invalidate` itself.

Redis down: the user is read from the database on every request (api.auth.security) and a
lost stale marker is logged (docs/operations.md, "After a Redis outage", says what that costs).

Without a shared cache (local memory, development) there is no user cache: the database is
asked on every request, so a change made by another process is seen at once too.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from apps.core.outages import cache_optional
from apps.core.shared_cache import Entry, cache_is_shared, cache_store, cache_store_on_commit

USER_TTL_SECONDS = 300
STALE_SECONDS = 120
STALE = "stale"


def user_cache_key(user_id: object) -> str:
    return f"auth-user:{user_id}"


def user_from_cached(user_id: object, cached: Any) -> AbstractBaseUser | None:
    """The active user `user_id`: `cached` (the cache's value for its key) or the database."""
    if cached is not None and cached != STALE:
        return cached if cached.is_active else None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    user_cache_fill(user, cached)
    return user


def user_cache_fill(user: AbstractBaseUser | None, cached: Any) -> None:
    """Caches a user just read from the database, unless its entry is STALE (see above)."""
    if user is not None and cached is None and cache_is_shared():
        with cache_optional("user not cached"):
            cache_store(Entry(user_cache_key(user.pk), user, USER_TTL_SECONDS, only_new=True))


def user_cache_invalidate(*, user_id: object) -> None:
    """Marks the cached user stale once the current transaction commits."""
    entry = Entry(user_cache_key(user_id), STALE, STALE_SECONDS)
    cache_store_on_commit(entry, lost="cached user not marked stale")


def user_changed(sender: type, instance: AbstractBaseUser, **kwargs: Any) -> None:
    """post_save / post_delete receiver for the user model (a new user has nothing cached)."""
    if not kwargs.get("created"):
        user_cache_invalidate(user_id=instance.pk)
