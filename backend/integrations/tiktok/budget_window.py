"""The budget's sliding window and who may take a call from it: the rule, twice.

Once in Python (`FairWindow`: the per-process budget without Redis, the tests with fixed clocks,
bench/bench_fairness.py) and once as a Redis script (`TAKE_SCRIPT`: every process's shared
budget, Redis's clock). Both take the same decision from the same state:

- **Interactive calls** (a request being served; `party` None) may fill the whole window:
  `limit` is TIKTOK_REQUESTS_PER_MINUTE.
- **Background calls** get a smaller `limit`, (1 - TIKTOK_INTERACTIVE_SHARE) of it, so requests
  always find the rest, and take turns across *parties* (a workspace's sync-all, the scheduled
  sync, ...): a background call is refused for now while another party that is waiting for
  budget has fewer calls than its own in the window. Least served first: a 20-account sync-all
  arriving beside a 100,000-account one gets the slots as they free up until both have as many
  in the window, then they alternate. A party is waiting while one of its callers (a thread)
  is: from a refused ask until that caller is served, or has not asked for ACTIVE_SECONDS
  (callers ask at least every second while they wait). So a job whose callers got what they
  asked for, or finished, holds nobody back, and a slot is never left idle while some waiting
  party may take it.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

# A party is waiting while it asked within this long; waiting callers ask again at least
# every MAX_SLEEP_SECONDS (budget.py), so a live one never drops out.
ACTIVE_SECONDS = 2.0
# A caller refused for fairness (not for a full window) asks again this soon.
FAIR_RETRY_SECONDS = 0.25
INTERACTIVE = "_"  # the window's name for requests' calls (no party)


@dataclass
class FairWindow:
    """The calls of the last `window` seconds, by party, and the parties waiting."""

    window: float
    calls: deque[tuple[float, str]] = field(default_factory=deque)
    counts: Counter[str] = field(default_factory=Counter)
    # (party, caller) -> when that caller was last refused.
    waiting: dict[tuple[str, str], float] = field(default_factory=dict)

    def take(self, *, now: float, limit: int, party: str | None, caller: str = "") -> float:
        """0 when one call was counted, else the seconds to wait before asking again."""
        while self.calls and self.calls[0][0] <= now - self.window:
            _, gone = self.calls.popleft()
            self.counts[gone] -= 1
        full = len(self.calls) >= limit
        if party is not None:
            for other, seen in list(self.waiting.items()):
                if seen < now - ACTIVE_SECONDS:
                    del self.waiting[other]
            mine = self.counts[party]
            behind = any(self.counts[o] < mine for o, _ in self.waiting if o != party)
            if full or behind:
                self.waiting[party, caller] = now
                return self._wait(now) if full else FAIR_RETRY_SECONDS
            self.waiting.pop((party, caller), None)
        elif full:
            return self._wait(now)
        name = INTERACTIVE if party is None else party
        self.calls.append((now, name))
        self.counts[name] += 1
        return 0.0

    def _wait(self, now: float) -> float:
        """Until the oldest call leaves the window."""
        return max(0.001, self.calls[0][0] + self.window - now)


# KEYS: the window (sorted set of "party|unique" by time), the counts per party (hash), the
# waiting callers (hash "party|caller" -> last refusal). ARGV: limit, window ms, unique member
# suffix, party ('' for interactive), active ms, fair retry ms, caller. Returns 0 when the
# call was counted, else the milliseconds to wait. FairWindow.take, line for line.
TAKE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - window)
for _, member in ipairs(expired) do
    local gone = string.match(member, '^(.-)|')
    if redis.call('HINCRBY', KEYS[2], gone, -1) <= 0 then redis.call('HDEL', KEYS[2], gone) end
end
if #expired > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window) end
local full = redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1])
local party = ARGV[4]
local name = '_'
local wait = 0
if full then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    wait = math.max(1, tonumber(oldest[2]) + window - now)
end
if party ~= '' then
    name = party
    local mine = tonumber(redis.call('HGET', KEYS[2], party) or '0')
    local behind = false
    local waiting = redis.call('HGETALL', KEYS[3])
    for i = 1, #waiting, 2 do
        local field, seen = waiting[i], tonumber(waiting[i + 1])
        local other = string.match(field, '^(.-)|')
        if seen < now - tonumber(ARGV[5]) then
            redis.call('HDEL', KEYS[3], field)
        elseif other ~= party and tonumber(redis.call('HGET', KEYS[2], other) or '0') < mine then
            behind = true
        end
    end
    local me = party .. '|' .. ARGV[7]
    if full or behind then
        redis.call('HSET', KEYS[3], me, now)
        redis.call('PEXPIRE', KEYS[3], window)
        if full then return wait end
        return tonumber(ARGV[6])
    end
    redis.call('HDEL', KEYS[3], me)
elseif full then
    return wait
end
redis.call('ZADD', KEYS[1], now, name .. '|' .. ARGV[3])
redis.call('HINCRBY', KEYS[2], name, 1)
redis.call('PEXPIRE', KEYS[1], window)
redis.call('PEXPIRE', KEYS[2], window)
return 0
"""
