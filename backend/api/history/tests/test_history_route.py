"""GET /api/accounts/{id}/history: ranges, UTC buckets, and the account's own 404/422 rules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from apps.history.models import HistoryPoint
from testing.factories import TikTokAccountFactory
from testing.http import assert_error, assert_validation_error

pytestmark = pytest.mark.django_db


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _points(account, *moments: datetime) -> None:
    """One point per moment, follower_count numbering them in order."""
    HistoryPoint.objects.bulk_create(
        HistoryPoint(
            account=account,
            at=moment,
            follower_count=number,
            following_count=10 + number,
            likes_count=100 + number,
            video_count=1000 + number,
        )
        for number, moment in enumerate(moments, start=1)
    )


def _get(client, account, **params):
    return client.get(f"/api/accounts/{account.pk}/history", params)


@pytest.fixture
def account(user):
    return TikTokAccountFactory(user=user)


# Around two UTC midnights and an hour boundary, shuffled when written.
MOMENTS = [
    _at("2026-03-01T22:59:59.999999"),  # 1
    _at("2026-03-01T23:00:00"),  # 2
    _at("2026-03-01T23:30:00"),  # 3
    _at("2026-03-01T23:59:59.999999"),  # 4: last of 1 March
    _at("2026-03-02T00:00:00"),  # 5: first of 2 March
    _at("2026-03-02T00:00:00.000001"),  # 6: last of 2 March
    _at("2026-03-04T12:00:00"),  # 7
]
RANGE = {"since": "2026-03-01T00:00:00Z", "until": "2026-03-05T00:00:00Z"}


def test_day_buckets_keep_the_last_point_of_each_utc_day_with_its_own_time(
    auth_client, account
) -> None:
    _points(account, *MOMENTS)

    response = _get(auth_client, account, bucket="day", **RANGE)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["account_id"] == str(account.pk)
    assert body["bucket"] == "day"
    assert [p["follower_count"] for p in body["points"]] == [4, 6, 7]
    assert [p["at"] for p in body["points"]] == [
        "2026-03-01T23:59:59.999999Z",
        "2026-03-02T00:00:00.000001Z",
        "2026-03-04T12:00:00.000000Z",
    ]
    assert body["points"][0] == {
        "at": "2026-03-01T23:59:59.999999Z",
        "follower_count": 4,
        "following_count": 14,
        "likes_count": 104,
        "video_count": 1004,
    }


def test_hour_buckets_keep_the_last_point_of_each_utc_hour(auth_client, account) -> None:
    _points(account, *MOMENTS)

    body = _get(auth_client, account, bucket="hour", **RANGE).json()

    assert [p["follower_count"] for p in body["points"]] == [1, 4, 6, 7]


def test_raw_gives_every_point_oldest_first(auth_client, account) -> None:
    _points(account, *reversed(MOMENTS))

    body = _get(auth_client, account, bucket="raw", **RANGE).json()

    assert [p["at"] for p in body["points"]] == sorted(p["at"] for p in body["points"])
    assert len(body["points"]) == len(MOMENTS)


def test_buckets_follow_utc_whatever_offset_the_range_is_given_in(auth_client, account) -> None:
    _points(account, *MOMENTS)

    body = _get(
        auth_client,
        account,
        bucket="day",
        since="2026-03-01T02:00:00+02:00",  # 1 March 00:00 UTC
        until="2026-03-02T01:00:00.000001+01:00",  # 2 March 00:00:00.000001 UTC, inclusive
    ).json()

    assert [p["follower_count"] for p in body["points"]] == [4, 6]


def test_the_range_is_inclusive_and_defaults_to_the_last_30_days(auth_client, account) -> None:
    now = timezone.now()
    _points(account, now - timedelta(days=31), now - timedelta(days=29), now - timedelta(hours=1))

    default = _get(auth_client, account, bucket="raw").json()
    exact = _get(
        auth_client,
        account,
        bucket="raw",
        since=(now - timedelta(days=31)).isoformat(),
        until=(now - timedelta(days=29)).isoformat(),
    ).json()

    assert [p["follower_count"] for p in default["points"]] == [2, 3]
    assert [p["follower_count"] for p in exact["points"]] == [1, 2]
    assert _get(auth_client, account).json()["bucket"] == "day"


def test_only_the_accounts_own_points_are_returned(auth_client, user, account) -> None:
    _points(account, *MOMENTS)
    _points(TikTokAccountFactory(user=user), *MOMENTS)

    body = _get(auth_client, account, bucket="raw", **RANGE).json()

    assert len(body["points"]) == len(MOMENTS)


def test_the_history_is_three_statements(auth_client, account, django_assert_num_queries) -> None:
    _points(account, *MOMENTS)

    # The JWT's user, the account (ownership), the points.
    with django_assert_num_queries(3):
        assert _get(auth_client, account, **RANGE).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"since": "2026-03-05T00:00:00Z", "until": "2026-03-01T00:00:00Z"},
        {"since": "2025-01-01T00:00:00Z", "until": "2026-01-03T00:00:00Z"},
        {"since": (timezone.now() - timedelta(days=367)).isoformat()},
        {"bucket": "week"},
        {"since": "yesterday"},
        {"until": "2026-02-30T00:00:00Z"},
    ],
    ids=["since after until", "over 366 days", "over 366 days to now", "bucket", "since", "until"],
)
def test_a_bad_range_or_bucket_is_422(auth_client, account, params) -> None:
    assert_validation_error(_get(auth_client, account, **params))


def test_exactly_366_days_is_allowed(auth_client, account) -> None:
    response = _get(
        auth_client, account, since="2025-01-01T00:00:00Z", until="2026-01-02T00:00:00Z"
    )

    assert response.status_code == 200


def test_another_users_deleted_or_unknown_account_is_404(auth_client, other_user, user) -> None:
    others = TikTokAccountFactory(user=other_user)
    deleted = TikTokAccountFactory(user=user, is_deleted=True, deleted_at=timezone.now())
    _points(others, *MOMENTS)

    for account_id in (others.pk, deleted.pk, uuid.uuid4()):
        response = auth_client.get(f"/api/accounts/{account_id}/history")
        assert_error(response, 404, "ACCOUNT_NOT_FOUND")


def test_a_malformed_account_id_is_422_and_no_token_is_401(auth_client, client, account) -> None:
    assert_validation_error(auth_client.get("/api/accounts/not-a-uuid/history"))
    assert_error(client.get(f"/api/accounts/{account.pk}/history"), 401, "NOT_AUTHENTICATED")
