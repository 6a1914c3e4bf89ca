"""Cached answers of a workspace's account reads (list pages, summary), stale at every write.

The contract's "Caching of reads": an answer is served from the shared cache for up to
READ_CACHE_TTL_SECONDS, but never once a write to that workspace's accounts has committed, in
any process. Only a member (checked by the auth, before this) is served an answer. How:
- Each workspace has a reads version in the cache, a random token that every committed write of
  its accounts replaces (apps.tiktok_accounts.read_cache).
- A cached answer is stored with the version read before the database was: it is served only
  while that is still the version. A request that read the database before a write committed
  stores its answer under the old version, which nobody serves any more.
- An answer is keyed on the route's validated query, not its spelling (api.query_key):
  `?limit=5&status=active`, `?status=active&limit=05` share one entry; and on the member, as a
  page's `next_cursor` is bound to its reader (apps.core.cursor): another member's would be
  422 INVALID_CURSOR to them. The version, which makes answers stale, is the workspace's.
- The cached value is the rendered bytes, so a cached answer is the uncached one byte for byte.
- The version, the answer and the rate-limit counter are read with the user, in the request's
  one round trip (api.round_trip); a miss adds one to store the answer.
- Redis down: the answer comes from the database, the `read` limit fails open (logged).
Without a shared cache (no REDIS_URL) nothing is cached (see apps.core.shared_cache).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from api.query_key import RouteQuery
from api.round_trip import RoundTripPlan, planned, rate_checked
from api.workspace_scope import requested_workspace_id
from apps.core.outages import cache_optional
from apps.core.renderers import json_response
from apps.core.shared_cache import Entry, cache_is_shared, cache_store
from apps.tiktok_accounts.read_cache import (
    VERSION_TIMEOUT_SECONDS,
    reads_version_key,
    reads_version_new,
)

View = Callable[..., HttpResponse]


def _answer_key(
    request: HttpRequest, workspace_id: object, user_id: object, query: RouteQuery
) -> str | None:
    """The reader and the route with its validated query in a canonical spelling
    (api.query_key): one key per answer, however the query is spelled. None for an invalid
    query (answered 422, never cached). Only 200 answers are stored."""
    canonical = query.canonical(request)
    if canonical is None:
        return None
    route = f"{request.path}?{canonical}".encode()
    digest = hashlib.blake2b(route, digest_size=16).hexdigest()
    return f"reads:{workspace_id}:{user_id}:{digest}"


def _read_keys(query: RouteQuery, request: HttpRequest, user_id: object) -> list[str]:
    """The keys a cached read plans into the auth's round trip (none with the cache off, or
    for an invalid query)."""
    workspace_id = requested_workspace_id(request, user_id)
    if not read_cache_ttl() or workspace_id is None:
        return []
    answer_key = _answer_key(request, workspace_id, user_id, query)
    return [] if answer_key is None else [reads_version_key(workspace_id), answer_key]


def read_cache_ttl() -> int:
    return settings.READ_CACHE_TTL_SECONDS if cache_is_shared() else 0


def cached_read(scope: str) -> Callable[[View], View]:
    """Decorates a GET route whose view renders its own JSON answer (see api.accounts.rendering):
    counts it against the caller's `scope` rate limit and serves it from the read cache. The
    version, the answer and the counter come with the user, in the auth's round trip."""

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, **params: Any) -> HttpResponse:
            fetched = rate_checked(request, scope)
            ttl = read_cache_ttl()
            if not ttl or fetched is None or not fetched.reached or not fetched.values:
                return view(request, **params)  # no cache, or an unreachable one: the database
            # The keys `_read_keys` planned, with what the auth's round trip found under them.
            (version_key, version), (answer_key, cached) = fetched.values.items()
            if version is not None and cached is not None and cached[0] == version:
                return json_response(cached[1])
            response = view(request, **params)
            if response.status_code == 200:
                stored_under = version or reads_version_new()
                entries = [Entry(answer_key, (stored_under, response.content), ttl)]
                if version is None:  # the first read in this workspace, or the version expired
                    entries.insert(
                        0,
                        Entry(
                            version_key,
                            stored_under,
                            VERSION_TIMEOUT_SECONDS,
                            only_new=True,
                        ),
                    )
                with cache_optional("answer not cached"):
                    cache_store(*entries)
            return response

        keys = functools.partial(_read_keys, RouteQuery(wrapper))
        return planned(RoundTripPlan(scope, keys=keys))(wrapper)

    return decorator
