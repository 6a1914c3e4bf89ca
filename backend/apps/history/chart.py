"""Followers over time as inline SVG drawn by the service: no script, no CDN, no static file;
the period's figures as a table beside it.

Each point is also a marker: an account connected today has one or two points at the right
edge of a 90-day axis, where a line alone is a dot nobody sees (or nothing, for one point).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from apps.history.models import HistoryPoint
from apps.history.period import Change

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 70, 10, 10, 30  # room for the axis labels


def followers_chart(
    points: Sequence[HistoryPoint], *, since: datetime, until: datetime
) -> SafeString:
    """A line through one (time, followers) vertex per point, time on a linear axis, a marker
    on each point (its <title>: the day and the followers), and how many points there are."""
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

    xys = [(f"{x(point):.1f}", f"{y(point.follower_count):.1f}") for point in points]
    vertices = " ".join(f"{px},{py}" for px, py in xys)
    markers = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="4" fill="#417690"><title>{}: {} followers</title></circle>',
        (
            (px, py, f"{point.at.astimezone(UTC):%Y-%m-%d}", f"{point.follower_count:,}")
            for (px, py), point in zip(xys, points, strict=True)
        ),
    )
    count = f"{len(points)} point{'' if len(points) == 1 else 's'}"
    label = f"Followers from {since:%Y-%m-%d} to {until:%Y-%m-%d}: {low:,} to {high:,}, {count}"
    return format_html(
        '<svg class="history-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        'width="{w}" height="{h}" viewBox="0 0 {w} {h}" style="max-width: 100%; height: auto" '
        'aria-label="{label}">'
        "<title>{label}</title>"
        '<rect x="{l}" y="{t}" width="{pw}" height="{ph}" fill="none" stroke="#ccc"/>'
        '<text x="{lx}" y="{ty}" text-anchor="end" font-size="11">{high}</text>'
        '<text x="{lx}" y="{by}" text-anchor="end" font-size="11">{low}</text>'
        '<text x="{l}" y="{dy}" font-size="11">{first}</text>'
        '<text x="{rx}" y="{dy}" text-anchor="end" font-size="11">{last}</text>'
        '<text class="history-chart-count" x="{mx}" y="{dy}" text-anchor="middle" font-size="11">'
        "{count}</text>"
        '<polyline fill="none" stroke="#417690" stroke-width="2" points="{vertices}"/>'
        "{markers}</svg>",
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
        mx=LEFT + plot_w // 2,
        # format_html escapes its arguments into strings: format the numbers first.
        high=f"{high:,}",
        low=f"{low:,}",
        first=f"{since:%Y-%m-%d}",
        last=f"{until:%Y-%m-%d}",
        vertices=vertices,
        count=count,
        markers=markers,
    )


def period_figures_table(figures: Mapping[str, Change]) -> SafeString:
    """The period's start, end and change of each figure, as the analytics route gives them."""
    rows = format_html_join(
        "",
        '<tr><th scope="row">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
        (
            (
                name,
                _number(change.start),
                _number(change.end),
                _number(change.change, sign=True),
                "—" if change.change_pct is None else f"{change.change_pct:+.2f} %",
            )
            for name, change in figures.items()
        ),
    )
    return format_html(
        '<table class="history-period-figures"><thead><tr><th></th><th>start</th><th>end</th>'
        "<th>change</th><th>change %</th></tr></thead><tbody>{}</tbody></table>",
        rows,
    )


def _number(value: int | None, *, sign: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+,}" if sign else f"{value:,}"
