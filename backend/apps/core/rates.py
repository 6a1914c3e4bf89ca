"""A rate such as `10/m`: the one parser, used by the settings (checked at start-up) and by the
rate limits (counted per request). Pure Python, so config.env may import it while settings load."""

from __future__ import annotations

RATE_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600}


def rate_parts(rate: str) -> tuple[int, int]:
    """`N/s`, `N/m` or `N/h` as (N, the period in seconds); ValueError for anything else."""
    count, _, period = rate.partition("/")
    if not count.isdigit() or int(count) < 1 or period not in RATE_PERIOD_SECONDS:
        raise ValueError(rate)
    return int(count), RATE_PERIOD_SECONDS[period]
