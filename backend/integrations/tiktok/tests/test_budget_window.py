"""Who may take a call from the budget's window: fixed clocks, no sleeping.

The same decisions from FairWindow (per process) and from the Redis script (shared); the
script's clock is Redis's own, so its test asserts only what does not depend on time passing.
"""

from __future__ import annotations

import pytest

from apps.core.redis_client import shared_redis
from integrations.tiktok import budget
from integrations.tiktok.budget_window import ACTIVE_SECONDS, FAIR_RETRY_SECONDS, FairWindow

BIG, SMALL = "workspace:big", "workspace:small"


def _take(
    window: FairWindow, party: str | None, *, now: float, limit: int = 10, caller: str = ""
) -> bool:
    return window.take(now=now, limit=limit, party=party, caller=caller) == 0


def test_background_stops_at_its_limit_and_requests_use_the_rest() -> None:
    window = FairWindow(window=60)

    background = [_take(window, BIG, now=1, limit=8) for _ in range(9)]
    requests = [_take(window, None, now=2, limit=10) for _ in range(3)]

    assert background == [True] * 8 + [False]
    assert requests == [True, True, False]


def test_a_full_window_says_when_its_oldest_call_leaves() -> None:
    window = FairWindow(window=60)
    for second in range(3):
        _take(window, BIG, now=second, limit=3)

    assert window.take(now=10, limit=3, party=BIG) == 50
    assert _take(window, BIG, now=60.5, limit=3)


def test_the_least_served_waiting_party_takes_the_slots_that_free_up() -> None:
    window = FairWindow(window=60)
    for second in range(10):
        _take(window, BIG, now=second)  # the big job filled the window alone
    assert not _take(window, SMALL, now=59.5)  # full: the small job waits (asking every second)

    # The big job's oldest call leaves: the small job, with fewer calls, gets the slot.
    assert not _take(window, SMALL, now=59.6, caller="b")  # its other caller waits too
    assert window.take(now=60.1, limit=10, party=BIG) == FAIR_RETRY_SECONDS
    assert _take(window, SMALL, now=60.2)
    assert not _take(window, BIG, now=61.1)  # the next slot: for the small job's other caller
    assert _take(window, SMALL, now=61.2, caller="b")
    assert _take(window, BIG, now=62.1)  # no caller of the small job waits any more


def test_a_party_served_or_silent_no_longer_holds_the_others_back() -> None:
    window = FairWindow(window=60)
    for second in range(3):
        _take(window, BIG, now=second, limit=3)
    assert not _take(window, SMALL, now=59.5, limit=3)  # full: the small job waits
    assert not _take(window, BIG, now=60.1, limit=3)  # a slot: the small job's turn

    assert _take(window, BIG, now=59.5 + ACTIVE_SECONDS + 0.1, limit=3)  # it stopped asking
    assert _take(window, SMALL, now=62.5, limit=4)  # served: no longer waiting
    assert _take(window, BIG, now=62.6, limit=4)


def test_requests_are_never_held_back_by_the_turns() -> None:
    window = FairWindow(window=60)
    _take(window, SMALL, now=0, limit=2)
    _take(window, SMALL, now=0, limit=2)
    assert not _take(window, BIG, now=0, limit=2)  # background full: the big job waits

    assert _take(window, None, now=0.1, limit=10)
    assert window.take(now=0.1, limit=10, party=SMALL) == FAIR_RETRY_SECONDS


@pytest.fixture
def redis_budget():
    if shared_redis() is None:
        pytest.skip("REDIS_URL is unset: the shared budget runs in the PostgreSQL + Redis pass")
    budget.budget_reset()
    yield shared_redis()
    budget.budget_reset()


def _shared(client, party: str | None, limit: int) -> float:
    return budget._take_shared(client, limit, party)


def test_the_redis_script_takes_the_same_turns(redis_budget) -> None:
    for _ in range(3):
        assert _shared(redis_budget, BIG, 10) == 0
    assert _shared(redis_budget, SMALL, 4) == 0  # fewer calls: served
    assert _shared(redis_budget, SMALL, 4) > 0  # full: the small job waits

    assert _shared(redis_budget, BIG, 10) == FAIR_RETRY_SECONDS  # the small job waits with 1
    assert _shared(redis_budget, SMALL, 10) == 0
    assert _shared(redis_budget, SMALL, 10) == 0
    assert _shared(redis_budget, SMALL, 6) > 0  # background full: 6 calls of a limit of 6
    assert _shared(redis_budget, None, 7) == 0  # a request takes from the share
    assert _shared(redis_budget, None, 7) > 0  # the whole window is full
    counts = redis_budget.hgetall(f"{budget._shared_key()}:counts")
    assert {k.decode(): int(v) for k, v in counts.items()} == {BIG: 3, SMALL: 3, "_": 1}
    waiting = redis_budget.hkeys(f"{budget._shared_key()}:waiting")
    assert {field.decode().split("|")[0] for field in waiting} == {BIG, SMALL}


def test_background_draws_on_the_budget_less_the_interactive_share(settings, monkeypatch) -> None:
    settings.TIKTOK_REQUESTS_PER_MINUTE = 10
    settings.TIKTOK_INTERACTIVE_SHARE = 0.2
    monkeypatch.setattr(budget, "shared_redis", lambda: None)
    budget.budget_reset()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        raise InterruptedError

    monkeypatch.setattr(budget.time, "sleep", sleep)
    with budget.budget_waiting(), budget.budget_party(BIG):
        for _ in range(8):
            budget.budget_take()
        with pytest.raises(InterruptedError):
            budget.budget_take()
    budget.budget_take()
    budget.budget_take()  # requests use the share kept for them

    assert budget.background_limit() == 8
    assert len(slept) == 1
    assert slept[0] <= budget.MAX_SLEEP_SECONDS + 0.05
    assert settings.TIKTOK_REQUESTS_PER_MINUTE == 10
