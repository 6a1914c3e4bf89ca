"""An account's counts over a period: where they started, where they are, and the change.

Shared by the analytics route and the admin's account page, so both show the same figures.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from apps.history.selectors import history_span

# Figure name -> the history column it follows.
PERIOD_FIGURES = {"followers": "follower_count", "likes": "likes_count", "videos": "video_count"}
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Change:
    """All four None when the account has no history at all."""

    start: int | None
    end: int | None
    change: int | None
    change_pct: float | None


def percent(part: int, whole: int) -> float | None:
    """`part / whole * 100` rounded half away from zero to 2 decimals; None when `whole` is 0.

    Decimal arithmetic on the integers, so 1/8 gives 12.5 and 1/800 gives 0.13 exactly as a
    hand computation would (binary floats round some halves down).
    """
    if not whole:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP))


def history_period(*, account_id: uuid.UUID, since: datetime) -> dict[str, Change]:
    """Followers, likes and videos from the period's start point to the latest point."""
    span = history_span(account_id=account_id, since=since)
    if span.start is None or span.end is None:
        return dict.fromkeys(PERIOD_FIGURES, Change(None, None, None, None))
    figures = {}
    for name, column in PERIOD_FIGURES.items():
        start, end = getattr(span.start, column), getattr(span.end, column)
        figures[name] = Change(start, end, end - start, percent(end - start, start))
    return figures
