"""The process's one redis-py client, for what Django's cache API cannot do.

The request's one round trip (a pipeline, apps.core.shared_cache) and the TikTok budget (a Lua
script, integrations.tiktok.budget) need Redis commands that `cache.get`/`cache.set` do not
offer. Django's RedisCache keeps its own client private, so this module builds one with
redis-py's public `Redis.from_url`, from the default cache's LOCATION and OPTIONS: the same
server, database and timeouts as the cache. One client per process and location, shared by
every thread (redis-py's connection pool is thread-safe and starts afresh after a fork).
"""

from __future__ import annotations

import functools

import redis
from django.conf import settings

REDIS_CACHE_BACKEND = "django.core.cache.backends.redis.RedisCache"


def shared_redis() -> redis.Redis | None:
    """The client of the default cache's Redis; None when the default cache is not Redis."""
    config = settings.CACHES["default"]
    if config["BACKEND"] != REDIS_CACHE_BACKEND:
        return None
    location = config["LOCATION"]
    # Several servers (a list, or comma-separated): Django writes to the first; so do we.
    servers = location.split(",") if isinstance(location, str) else location
    # OPTIONS holds redis-py connection options only (settings.py sets the two timeouts).
    return _client(servers[0].strip(), tuple(sorted(config.get("OPTIONS", {}).items())))


@functools.lru_cache(maxsize=8)
def _client(url: str, options: tuple[tuple[str, object], ...]) -> redis.Redis:
    # Keyed by location: tests point the cache at another Redis and get that server's client.
    return redis.Redis.from_url(url, **dict(options))
