"""One app-wide budget of calls to TikTok: TIKTOK_REQUESTS_PER_MINUTE in any 60-second window.

A sliding window, not a fixed one: TikTok counts over one sliding minute, and a fixed window
would let twice the budget through across a window boundary. When the cache is Redis the window
is one sorted set there (one atomic script per call, Redis's clock, through the process's one
Redis client, apps.core.redis_client), so every process draws on the same budget; without Redis
it is per process (development only).

A request that finds no budget raises TikTokRateLimitError (answered 429 TIKTOK_RATE_LIMITED
with Retry-After) instead of calling; background work (the Celery worker, management
commands) waits for budget instead. Background work may fill only (1 -
TIKTOK_INTERACTIVE_SHARE) of the window, and its parties (workspaces' sync-alls, the scheduled
sync) take turns: the rule is in budget_window.py.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import random
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from django.conf import settings

from apps.core.redis_client import shared_redis
from integrations.tiktok.budget_window import (
    ACTIVE_SECONDS,
    FAIR_RETRY_SECONDS,
    TAKE_SCRIPT,
    FairWindow,
)
from integrations.tiktok.errors import TikTokRateLimitError

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
# A call is counted when it is sent and reaches TikTok a moment later: counting over a slightly
# longer window keeps TikTok's own sliding minute under the budget despite that skew.
COUNTED_WINDOW_SECONDS = WINDOW_SECONDS + 1
# Background callers ask again at least this often, so their party stays "waiting"
# (budget_window.ACTIVE_SECONDS) and a slot that frees up is taken at once.
MAX_SLEEP_SECONDS = 1.0
BACKGROUND_PARTY = "background"

_process = {"wait": False}
_local_lock = threading.Lock()
_local_window = FairWindow(window=COUNTED_WINDOW_SECONDS)
_party = threading.local()


def budget_wait_when_exhausted(wait: bool) -> None:
    """Makes this process wait for budget (background work) or refuse (request serving)."""
    _process["wait"] = wait


@contextmanager
def budget_waiting() -> Iterator[None]:
    """Waits for budget inside the block (a management command doing background work)."""
    before = _process["wait"]
    _process["wait"] = True
    try:
        yield
    finally:
        _process["wait"] = before


@contextmanager
def budget_party(name: str) -> Iterator[None]:
    """Background calls of this thread inside the block take turns as `name` (a workspace's
    sync-all, the scheduled sync): budget_window explains the turns."""
    before = getattr(_party, "name", None)
    _party.name = name
    try:
        yield
    finally:
        _party.name = before


def background_limit() -> int:
    """The calls background work may have in the window: requests keep the interactive share."""
    limit = settings.TIKTOK_REQUESTS_PER_MINUTE
    return max(1, math.floor(limit * (1 - settings.TIKTOK_INTERACTIVE_SHARE)))


@functools.lru_cache(maxsize=8)
def _take_script(client: redis.Redis) -> redis.commands.core.Script:
    """The script bound to `client` (EVALSHA, loaded again if Redis forgot it)."""
    return client.register_script(TAKE_SCRIPT)


def _take_shared(client: redis.Redis, limit: int, party: str | None) -> float:
    unique = f"{time.time_ns()}-{threading.get_ident()}-{random.random()}"  # noqa: S311
    key = _shared_key()
    waited_ms = _take_script(client)(
        keys=[key, f"{key}:counts", f"{key}:waiting"],
        args=[
            limit,
            COUNTED_WINDOW_SECONDS * 1000,
            unique,
            party or "",
            int(ACTIVE_SECONDS * 1000),
            int(FAIR_RETRY_SECONDS * 1000),
            _caller(),
        ],
    )
    return int(waited_ms) / 1000


def _caller() -> str:
    """This thread, among every process's (a party waits while one of its callers does)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _try_take(party: str | None) -> float:
    """0 when one call was counted, else the seconds until asking again may succeed."""
    limit = settings.TIKTOK_REQUESTS_PER_MINUTE if party is None else background_limit()
    client = shared_redis()
    if client is None:
        with _local_lock:
            return _local_window.take(
                now=time.monotonic(), limit=limit, party=party, caller=_caller()
            )
    try:
        return _take_shared(client, limit, party)
    except redis.RedisError:
        # The budget protects TikTok's own limit; a Redis outage must not stop every sync.
        logger.warning("TikTok budget: Redis unreachable, calling without counting")
        return 0.0


def budget_take() -> None:
    """Counts one call to TikTok against the budget, waiting or refusing when it is spent.

    Background work (a process that waits) draws as its thread's party (budget_party) on
    (1 - TIKTOK_INTERACTIVE_SHARE) of the window; a request may use all of it.
    """
    party = (getattr(_party, "name", None) or BACKGROUND_PARTY) if _process["wait"] else None
    while (wait := _try_take(party)) > 0:
        if party is None:
            raise TikTokRateLimitError(
                "This service's TikTok budget is spent for now.", retry_after=math.ceil(wait)
            )
        # Jitter: waiting workers do not all retry at the same instant.
        time.sleep(min(wait, MAX_SLEEP_SECONDS) + random.uniform(0, 0.05))  # noqa: S311


def _shared_key() -> str:
    return f"{settings.CACHE_KEY_PREFIX}:tiktok-budget"


def budget_reset() -> None:
    """Forgets every call counted so far (tests)."""
    global _local_window
    with _local_lock:
        _local_window = FairWindow(window=COUNTED_WINDOW_SECONDS)
    client = shared_redis()
    if client is not None:
        key = _shared_key()
        client.delete(key, f"{key}:counts", f"{key}:waiting")


# KEYS[1]: the window; ARGV[1]: window in ms. The calls counted in the window now (read only).
_COUNT_SCRIPT = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. (now_ms - tonumber(ARGV[1])), '+inf')
"""


def budget_remaining() -> int:
    """Calls left in the current window (the tta_tiktok_budget_remaining gauge); without Redis,
    this process's own budget. Nothing is counted or trimmed."""
    limit = settings.TIKTOK_REQUESTS_PER_MINUTE
    client = shared_redis()
    if client is None:
        horizon = time.monotonic() - COUNTED_WINDOW_SECONDS
        with _local_lock:
            used = sum(1 for at, _ in _local_window.calls if at > horizon)
    else:
        script = client.register_script(_COUNT_SCRIPT)
        used = int(script(keys=[_shared_key()], args=[COUNTED_WINDOW_SECONDS * 1000]))
    return max(0, limit - used)
