"""The rate limits' fixed windows: where a window ends, what its counter is called."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from apps.core.errors import RateLimited
from apps.core.ratelimit import rate_window

START = datetime(2031, 5, 4, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _limits(settings) -> None:
    settings.RATE_LIMITS = {"read": "3/m", "burst": "2/s"}


def test_a_window_lasts_its_period_and_ends_at_the_keys_offset() -> None:
    with time_machine.travel(START, tick=False) as clock:
        first = rate_window(scope="read", key="user:1")
        retry_after = first.retry_after
        clock.shift(timedelta(seconds=retry_after - 1))
        last_second = rate_window(scope="read", key="user:1")
        clock.shift(1)
        next_window = rate_window(scope="read", key="user:1")

    assert 1 <= retry_after <= 60
    assert last_second.counter == first.counter
    assert last_second.retry_after == 1
    assert next_window.counter != first.counter
    assert next_window.retry_after == 60
    assert first.counter.timeout == 65


def test_a_per_second_rate_has_one_second_windows() -> None:
    with time_machine.travel(START, tick=False) as clock:
        now = rate_window(scope="burst", key="user:1")
        clock.shift(1)
        later = rate_window(scope="burst", key="user:1")

    assert (now.limit, now.retry_after, later.retry_after) == (2, 1, 1)
    assert now.counter != later.counter


def test_the_counter_is_per_scope_and_key_and_names_no_username() -> None:
    with time_machine.travel(START, tick=False):
        names = {
            rate_window(scope=scope, key=key).counter.key
            for scope in ("read", "burst")
            for key in ("alice|10.0.0.1", "bob|10.0.0.1")
        }

    assert len(names) == 4
    assert not any("alice" in name or "10.0.0.1" in name for name in names)


def test_over_the_limit_is_refused_with_the_seconds_left_in_the_window() -> None:
    with time_machine.travel(START, tick=False):
        window = rate_window(scope="read", key="user:1")

    window.check(3)
    with pytest.raises(RateLimited) as refused:
        window.check(4)
    assert refused.value.retry_after == window.retry_after
