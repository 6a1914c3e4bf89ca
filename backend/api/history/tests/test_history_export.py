"""GET /api/accounts/{id}/history.csv: a streamed CSV a spreadsheet opens, errors in JSON."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from unittest.mock import patch

import pytest
from django.db import connection
from django.http import StreamingHttpResponse

from api import csv_export
from apps.history.models import HistoryPoint
from config.api import api
from testing.factories import TikTokAccountFactory
from testing.http import assert_error, assert_validation_error

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
RANGE = {"since": "2026-03-01T00:00:00Z", "until": "2026-03-04T00:00:00Z"}
HEADER = ["at", "follower_count", "following_count", "likes_count", "video_count"]


@pytest.fixture
def account(user):
    return TikTokAccountFactory(user=user)


def _points(account, count: int, step: timedelta = timedelta(minutes=20)) -> None:
    HistoryPoint.objects.bulk_create(
        HistoryPoint(
            account=account,
            at=T0 + step * n,
            follower_count=1_000 + n,
            following_count=5,
            likes_count=9_000 + n,
            video_count=n,
        )
        for n in range(count)
    )


def _rows(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_an_export_is_a_csv_attachment_with_the_header_first(auth_client, account) -> None:
    _points(account, 3)

    response = auth_client.get(
        f"/api/accounts/{account.pk}/history.csv", {"bucket": "raw", **RANGE}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="account-{account.pk}-history.csv"'
    )
    assert _rows(response) == [
        HEADER,
        ["2026-03-01T23:30:00.000000Z", "1000", "5", "9000", "0"],
        ["2026-03-01T23:50:00.000000Z", "1001", "5", "9001", "1"],
        ["2026-03-02T00:10:00.000000Z", "1002", "5", "9002", "2"],
    ]


def test_buckets_and_range_are_those_of_the_json_history(auth_client, account) -> None:
    _points(account, 3)
    query = {"bucket": "day", **RANGE}

    rows = _rows(auth_client.get(f"/api/accounts/{account.pk}/history.csv", query))
    points = auth_client.get(f"/api/accounts/{account.pk}/history", query).json()["points"]

    assert rows[1:] == [[p["at"], *(str(p[name]) for name in HEADER[1:])] for p in points]
    assert [row[1] for row in rows[1:]] == ["1001", "1002"]  # the last of each UTC day


def test_no_points_is_the_header_alone(auth_client, account) -> None:
    response = auth_client.get(f"/api/accounts/{account.pk}/history.csv", RANGE)

    assert _rows(response) == [HEADER]


def test_a_large_export_leaves_in_blocks_not_one_piece(auth_client, account, monkeypatch) -> None:
    monkeypatch.setattr(csv_export, "FLUSH_CHARS", 1_000)
    _points(account, 400, step=timedelta(minutes=5))

    response = auth_client.get(
        f"/api/accounts/{account.pk}/history.csv", {"bucket": "raw", **RANGE}
    )
    blocks = list(response.streaming_content)

    # ~17 KB in blocks of about 1,000 characters (PostgreSQL hands lines over a thousand at
    # a time: they leave in blocks all the same)
    assert 15 <= len(blocks) <= 25
    assert all(len(block) < 1_100 for block in blocks)
    rows = list(csv.reader(io.StringIO(b"".join(blocks).decode(), newline="")))
    assert len(rows) == 401


def test_errors_stay_json_in_the_one_shape(auth_client, account, other_user, client) -> None:
    theirs = TikTokAccountFactory(user=other_user)
    for account_id in (theirs.pk, uuid.uuid4()):
        response = auth_client.get(f"/api/accounts/{account_id}/history.csv")
        assert_error(response, 404, "ACCOUNT_NOT_FOUND")
    url = f"/api/accounts/{account.pk}/history.csv"
    assert_validation_error(auth_client.get(url, {"bucket": "week"}))
    assert_validation_error(auth_client.get(url, {**RANGE, "since": "2025-01-01T00:00:00Z"}))
    assert_error(client.get(url), 401, "NOT_AUTHENTICATED")


def test_it_counts_against_the_read_limit(auth_client, account, settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "read": "2/m"}
    url = f"/api/accounts/{account.pk}/history.csv"

    assert auth_client.get(url).status_code == 200
    assert auth_client.get(f"/api/accounts/{account.pk}/history").status_code == 200
    response = auth_client.get(url)

    assert_error(response, 429, "RATE_LIMITED")
    assert int(response["Retry-After"]) > 0


def test_the_openapi_document_declares_text_csv_for_200_and_json_errors() -> None:
    responses = api.get_openapi_schema()["paths"]["/api/accounts/{account_id}/history.csv"]["get"][
        "responses"
    ]

    assert list(responses[200]["content"]) == ["text/csv"]
    for status in (401, 404, 422, 429):
        assert list(responses[status]["content"]) == ["application/json"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
@pytest.mark.parametrize("bucket", ["raw", "hour", "day"])
def test_postgresqls_copy_writes_the_same_bytes_as_python(auth_client, account, bucket) -> None:
    _points(account, 50, step=timedelta(minutes=7, microseconds=123))
    HistoryPoint.objects.create(
        account=account, at=T0 + timedelta(seconds=1), follower_count=0, following_count=0,
        likes_count=2**62, video_count=0,
    )  # fmt: skip
    url = f"/api/accounts/{account.pk}/history.csv"

    copied = auth_client.get(url, {"bucket": bucket, **RANGE})
    with patch.object(csv_export.connection, "vendor", "sqlite"):  # the rows path, on PostgreSQL
        written = auth_client.get(url, {"bucket": bucket, **RANGE})

    assert b"".join(copied.streaming_content) == b"".join(written.streaming_content)
