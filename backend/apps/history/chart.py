"""Followers over time as inline SVG drawn by the service: no script, no CDN, no static file."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils.html import format_html
from django.utils.safestring import SafeString

from apps.history.models import HistoryPoint

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 70, 10, 10, 30  # room for the axis labels


def followers_chart(
    points: Sequence[HistoryPoint], *, since: datetime, until: datetime
) -> SafeString:
    """A line through one (time, followers) vertex per point, time on a linear axis."""
    if not points:
        return format_html('<p class="history-chart-empty">{}</p>', "No history in this period.")
    values = [point.follower_count for point in points]
    low, high = min(values), max(values)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    start, seconds = since.timestamp(), max(until.timestamp() - since.timestamp(), 1)

    def x(point: HistoryPoint) -> float:
        return LEFT + plot_w * (point.at.timestamp() - start) / seconds

    def y(value: int) -> float:
        # A flat series sits in the middle rather than on the axis.
        return TOP + plot_h * (0.5 if high == low else (high - value) / (high - low))

    vertices = " ".join(f"{x(point):.1f},{y(point.follower_count):.1f}" for point in points)
    label = f"Followers from {since:%Y-%m-%d} to {until:%Y-%m-%d}: {low:,} to {high:,}"
    return format_html(
        '<svg class="history-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        'width="{w}" height="{h}" viewBox="0 0 {w} {h}" aria-label="{label}">'
        "<title>{label}</title>"
        '<rect x="{l}" y="{t}" width="{pw}" height="{ph}" fill="none" stroke="#ccc"/>'
        '<text x="{lx}" y="{ty}" text-anchor="end" font-size="11">{high}</text>'
        '<text x="{lx}" y="{by}" text-anchor="end" font-size="11">{low}</text>'
        '<text x="{l}" y="{dy}" font-size="11">{first}</text>'
        '<text x="{rx}" y="{dy}" text-anchor="end" font-size="11">{last}</text>'
        '<polyline fill="none" stroke="#417690" stroke-width="2" points="{vertices}"/>'
        "</svg>",
        w=WIDTH,
        h=HEIGHT,
        label=label,
        l=LEFT,
        t=TOP,
        pw=plot_w,
        ph=plot_h,
        lx=LEFT - 6,
        ty=TOP + 10,
        by=TOP + plot_h,
        dy=HEIGHT - 8,
        rx=WIDTH - RIGHT,
        # format_html escapes its arguments into strings: format the numbers first.
        high=f"{high:,}",
        low=f"{low:,}",
        first=f"{since:%Y-%m-%d}",
        last=f"{until:%Y-%m-%d}",
        vertices=vertices,
    )
