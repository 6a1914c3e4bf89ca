"""GET /api/accounts/{id}/videos.csv: every video, newest first, safe in a spreadsheet."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from apps.videos.selectors import EXPORT_FIELDS
from testing.factories import TikTokAccountFactory, TikTokVideoFactory
from testing.http import assert_error

pytestmark = pytest.mark.django_db

# The rows below spell each column's value in this order: they pin it.
HEADER = list(EXPORT_FIELDS)
T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def account(user):
    return TikTokAccountFactory(user=user)


def _export(client, account_id):
    return client.get(f"/api/accounts/{account_id}/videos.csv")


def _rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


# What a hostile or unlucky title looks like, and what the spreadsheet must get.
TITLES = [
    ('=HYPERLINK("http://evil.invalid","x")', '\'=HYPERLINK("http://evil.invalid","x")'),
    ("+1+2", "'+1+2"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(1,1)", "'@SUM(1,1)"),
    ("\tTabbed", "'\tTabbed"),
    ("\rReturned", "'\rReturned"),
    ("Été à Zürich — 東京 🎉", "Été à Zürich — 東京 🎉"),
    ('Quotes "inside", commas, and\na new line', 'Quotes "inside", commas, and\na new line'),
    ("plain = safe when not first", "plain = safe when not first"),
    ("", ""),
]


def test_an_export_reads_back_with_pythons_csv_module(auth_client, account) -> None:
    videos = [
        TikTokVideoFactory(
            account=account,
            title=title,
            create_time=T0 + timedelta(hours=n),
            duration=n,
            view_count=1_000 * n,
            like_count=10 * n,
            comment_count=n,
            share_count=2 * n,
            share_url=f"https://www.tiktok.com/@someone/video/{n}",
        )
        for n, (title, _) in enumerate(TITLES)
    ]
    TikTokVideoFactory(title="another account's")

    response = _export(auth_client, account.pk)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="account-{account.pk}-videos.csv"'
    )
    rows = _rows(response)
    assert rows[0] == HEADER
    expected = [
        [
            str(video.pk),
            video.video_id,
            f"{video.create_time:%Y-%m-%dT%H:%M:%S}.000000Z",
            safe,
            str(n),
            str(1_000 * n),
            str(10 * n),
            str(n),
            str(2 * n),
            f"https://www.tiktok.com/@someone/video/{n}",
        ]
        for n, (video, (_, safe)) in enumerate(zip(videos, TITLES, strict=True))
    ]
    assert rows[1:] == expected[::-1]  # newest first


def test_a_formula_like_url_is_made_safe_too(auth_client, account) -> None:
    TikTokVideoFactory(account=account, share_url="=1+1", video_id="@123")

    [_, row] = _rows(_export(auth_client, account.pk))

    assert (row[1], row[9]) == ("'@123", "'=1+1")


def test_no_videos_is_the_header_alone(auth_client, account) -> None:
    assert _rows(_export(auth_client, account.pk)) == [HEADER]


def test_errors_stay_json(auth_client, other_user, client, account) -> None:
    theirs = TikTokAccountFactory(user=other_user)
    for account_id in (theirs.pk, uuid.uuid4()):
        assert_error(_export(auth_client, account_id), 404, "ACCOUNT_NOT_FOUND")
    assert_error(_export(client, account.pk), 401, "NOT_AUTHENTICATED")
    assert auth_client.get("/api/accounts/not-a-uuid/videos.csv").status_code == 422


def test_it_counts_against_the_read_limit(auth_client, account, settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "read": "1/m"}

    assert _export(auth_client, account.pk).status_code == 200
    assert_error(_export(auth_client, account.pk), 429, "RATE_LIMITED")
