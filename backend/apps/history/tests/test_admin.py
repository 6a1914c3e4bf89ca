"""The accounts admin: the followers chart, the 7-day change column, names and row links."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.history.models import HistoryPoint
from testing.factories import TikTokAccountFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:tiktok_accounts_tiktokaccount_changelist")


# A fixed instant at midday: points a fraction of a day apart stay on one UTC day.
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fixed_clock() -> Iterator[None]:
    """The admin reads the clock; the points are built from the same fixed instant."""
    with time_machine.travel(NOW, tick=False):
        yield


def _history(account, *points: tuple[float, int]) -> None:
    """(days ago, followers) pairs, counted back from NOW."""
    now = NOW
    HistoryPoint.objects.bulk_create(
        HistoryPoint(
            account=account,
            at=now - timedelta(days=days),
            follower_count=followers,
            following_count=0,
            likes_count=0,
            video_count=0,
        )
        for days, followers in points
    )


def _change_cell(html: str, account) -> str:
    row = re.search(rf"<tr>(?:(?!</tr>).)*?{account.pk}(?:(?!</tr>).)*?</tr>", html, re.S)
    assert row, account.pk
    return re.search(r'<td class="field-followers_change">(.*?)</td>', row.group(0)).group(1)


def test_the_changelist_names_tiktok_correctly_and_links_the_username(admin_client) -> None:
    account = TikTokAccountFactory(username="link_me")

    html = admin_client.get(CHANGELIST).content.decode()

    assert "TikTok accounts" in html
    assert "Tik tok" not in html
    change_url = reverse("admin:tiktok_accounts_tiktokaccount_change", args=[account.pk])
    assert re.search(
        rf'<th class="field-username"><a href="{re.escape(change_url)}[^"]*">link_me</a></th>', html
    )
    assert 'class="field-owner"><a' not in html


def test_the_change_column_compares_with_seven_days_ago(admin_client) -> None:
    grew = TikTokAccountFactory(follower_count=1_500)
    _history(grew, (30, 100), (8, 1_000), (6, 1_200), (0, 1_500))
    shrank = TikTokAccountFactory(follower_count=900)
    _history(shrank, (9, 1_000), (1, 900))
    new = TikTokAccountFactory(follower_count=50)  # connected 2 days ago: change since then
    _history(new, (2, 20), (1, 50))
    without = TikTokAccountFactory()

    html = admin_client.get(CHANGELIST).content.decode()

    assert _change_cell(html, grew) == "+500"
    assert _change_cell(html, shrank) == "-100"
    assert _change_cell(html, new) == "+30"
    assert _change_cell(html, without) == "—"


def test_the_changelist_costs_the_same_queries_for_2_or_12_accounts(admin_client) -> None:
    def queries(count: int) -> int:
        for _ in range(count):
            account = TikTokAccountFactory()
            _history(account, (8, 1), (1, 2))
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(CHANGELIST).status_code == 200
        return len(captured)

    assert queries(2) == queries(10)


def _chart(admin_client, account) -> str:
    url = reverse("admin:tiktok_accounts_tiktokaccount_change", args=[account.pk])
    svg = re.search(
        r'<svg class="history-chart".*?</svg>', admin_client.get(url).content.decode(), re.S
    )
    assert svg, "no chart on the account page"
    return svg.group(0)


def _markers(svg: str) -> list[tuple[str, str, str]]:
    """(cx, cy, title) of each point's marker."""
    return re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" [^>]*><title>([^<]*)</title>', svg)


def test_the_change_page_draws_one_vertex_per_day_with_history(admin_client) -> None:
    account = TikTokAccountFactory(follower_count=400)
    # Two points on one day count once (its last); 120 days ago is outside the chart.
    _history(account, (120, 1), (60, 100), (30.2, 200), (30.1, 250), (3, 300), (0, 400))

    svg = _chart(admin_client, account)

    vertices = re.search(r'<polyline [^>]*points="([^"]+)"', svg).group(1).split()
    assert len(vertices) == 4
    xs = [float(v.split(",")[0]) for v in vertices]
    ys = [float(v.split(",")[1]) for v in vertices]
    assert xs == sorted(xs)
    assert ys == sorted(ys, reverse=True)  # growing followers go up the chart
    assert "100 to 400" in svg
    assert [(float(cx), float(cy)) for cx, cy, _ in _markers(svg)] == list(zip(xs, ys, strict=True))
    assert [title for _, _, title in _markers(svg)] == [
        "2026-01-14: 100 followers",
        "2026-02-13: 250 followers",
        "2026-03-12: 300 followers",
        "2026-03-15: 400 followers",
    ]
    assert ">4 points</text>" in svg


def test_an_account_connected_today_shows_its_one_point_as_a_marker(admin_client) -> None:
    account = TikTokAccountFactory(follower_count=1_234)
    _history(account, (0.1, 1_200), (0, 1_234))  # one day: its last point

    svg = _chart(admin_client, account)

    # At the right edge of the 90-day axis, in the middle of a flat series.
    assert _markers(svg) == [("630.0", "100.0", "2026-03-15: 1,234 followers")]
    assert ">1 point</text>" in svg
    assert "1,234 to 1,234, 1 point" in svg  # the chart's accessible label


def test_two_points_at_the_right_edge_are_two_markers(admin_client) -> None:
    account = TikTokAccountFactory(follower_count=60)
    _history(account, (1, 50), (0, 60))

    svg = _chart(admin_client, account)

    assert _markers(svg) == [
        ("623.8", "190.0", "2026-03-14: 50 followers"),
        ("630.0", "10.0", "2026-03-15: 60 followers"),
    ]
    assert ">2 points</text>" in svg


def test_the_change_page_says_when_there_is_no_history(admin_client) -> None:
    account = TikTokAccountFactory()

    url = reverse("admin:tiktok_accounts_tiktokaccount_change", args=[account.pk])
    html = admin_client.get(url).content.decode()

    assert "No history in this period." in html
    assert 'history-chart"' not in html


def test_the_change_page_shows_the_periods_figures_beside_the_chart(admin_client) -> None:
    account = TikTokAccountFactory()
    HistoryPoint.objects.bulk_create(
        HistoryPoint(account=account, at=NOW - timedelta(days=days), following_count=0, **counts)
        for days, counts in (
            (100, {"follower_count": 1, "likes_count": 1, "video_count": 1}),
            (91, {"follower_count": 800, "likes_count": 5_000, "video_count": 0}),  # the start
            (2, {"follower_count": 1_000, "likes_count": 4_990, "video_count": 3}),  # the end
        )
    )

    url = reverse("admin:tiktok_accounts_tiktokaccount_change", args=[account.pk])
    html = admin_client.get(url).content.decode()

    # One fieldset line holds both (Django lays a line's fields out side by side).
    line = re.search(r'<div class="form-row field-followers_chart field-period_figures">', html)
    assert line
    rows = re.findall(r'<tr><th scope="row">(\w+)</th>((?:<td>[^<]*</td>){4})</tr>', html)
    cells = {name: re.findall(r"<td>([^<]*)</td>", tds) for name, tds in rows}
    # followers 800 -> 1,000: +200, 200 / 800 = +25.00 %; likes 5,000 -> 4,990: -10, -0.20 %;
    # videos 0 -> 3: +3, no percentage from 0
    assert cells == {
        "followers": ["800", "1,000", "+200", "+25.00 %"],
        "likes": ["5,000", "4,990", "-10", "-0.20 %"],
        "videos": ["0", "3", "+3", "—"],
    }
