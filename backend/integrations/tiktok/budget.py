"""One app-wide budget of calls to TikTok: TIKTOK_REQUESTS_PER_MINUTE in any 60-second window.

A sliding window, not a fixed one: TikTok counts over one sliding minute, and a fixed window
would let twice the budget through across a window boundary. When the cache is Redis the window
is one sorted set there (one atomic script per call, Redis's clock, through the process's one
Redis client, apps.core.redis_client), so every process draws on the same budget; without Redis
it is per process (development only).

A request that finds no budget raises TikTokRateLimitError (answered 429 TIKTOK_RATE_LIMITED
with Retry-After) instead of calling; background work (the Celery worker, management
commands) waits for budget instead.
"""

from __future__ import annotations

import functools
import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from django.conf import settings

from apps.core.redis_client import shared_redis
from integrations.tiktok.errors import TikTokRateLimitError

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
# A call is counted when it is sent and reaches TikTok a moment later: counting over a slightly
# longer window keeps TikTok's own sliding minute under the budget despite that skew.
COUNTED_WINDOW_SECONDS = WINDOW_SECONDS + 1
# KEYS[1]: the window; ARGV: limit, window in ms, a unique member. Returns 0 when the call may
# go ahead (and counts it), else the milliseconds until the oldest call leaves the window.
_TAKE_SCRIPT = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
    redis.call('ZADD', KEYS[1], now_ms, ARGV[3])
    redis.call('PEXPIRE', KEYS[1], window)
    return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now_ms)
"""

_process = {"wait": False}
_local_lock = threading.Lock()
_local_calls: deque[float] = deque()


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


@functools.lru_cache(maxsize=8)
def _take_script(client: redis.Redis) -> redis.commands.core.Script:
    """The script bound to `client` (EVALSHA, loaded again if Redis forgot it)."""
    return client.register_script(_TAKE_SCRIPT)


def _take_shared(client: redis.Redis, limit: int) -> float:
    member = f"{time.time_ns()}-{threading.get_ident()}-{random.random()}"  # noqa: S311
    waited_ms = _take_script(client)(
        keys=[_shared_key()],
        args=[limit, COUNTED_WINDOW_SECONDS * 1000, member],
    )
    return int(waited_ms) / 1000


def _take_local(limit: int) -> float:
    now = time.monotonic()
    with _local_lock:
        while _local_calls and _local_calls[0] <= now - COUNTED_WINDOW_SECONDS:
            _local_calls.popleft()
        if len(_local_calls) < limit:
            _local_calls.append(now)
            return 0.0
        return _local_calls[0] + COUNTED_WINDOW_SECONDS - now


def _try_take() -> float:
    """0 when one call was counted, else the seconds until the budget has room."""
    limit = settings.TIKTOK_REQUESTS_PER_MINUTE
    client = shared_redis()
    if client is None:
        return _take_local(limit)
    try:
        return _take_shared(client, limit)
    except redis.RedisError:
        # The budget protects TikTok's own limit; a Redis outage must not stop every sync.
        logger.warning("TikTok budget: Redis unreachable, calling without counting")
        return 0.0


def budget_take() -> None:
    """Counts one call to TikTok against the budget, waiting or refusing when it is spent."""
    while (wait := _try_take()) > 0:
        if not _process["wait"]:
            raise TikTokRateLimitError(
                "This service's TikTok budget is spent for now.", retry_after=math.ceil(wait)
            )
        # Jitter: waiting workers do not all retry at the same instant.
        time.sleep(min(wait, 5.0) + random.uniform(0, 0.05))  # noqa: S311


def _shared_key() -> str:
    return f"{settings.CACHE_KEY_PREFIX}:tiktok-budget"


def budget_reset() -> None:
    """Forgets every call counted so far (tests)."""
    with _local_lock:
        _local_calls.clear()
    client = shared_redis()
    if client is not None:
        client.delete(_shared_key())


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
            used = sum(1 for at in _local_calls if at > horizon)
    else:
        script = client.register_script(_COUNT_SCRIPT)
        used = int(script(keys=[_shared_key()], args=[COUNTED_WINDOW_SECONDS * 1000]))
    return max(0, limit - used)
