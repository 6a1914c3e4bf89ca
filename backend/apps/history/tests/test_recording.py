"""A history point at every connect, reconnect and successful sync; none on failure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.history import services as history_services
from apps.history.models import HistoryPoint
from apps.history.selectors import Bucket, history_points
from apps.history.services import history_prune
from testing.factories import TikTokAccountFactory
from testing.http import post_json

pytestmark = pytest.mark.django_db

COUNTS = ("follower_count", "following_count", "likes_count", "video_count")


def _counts(obj) -> tuple[int, ...]:
    return tuple(getattr(obj, name) for name in COUNTS)


def _connect(client, fake, open_id: str):
    state = client.post("/api/accounts/connect/start").json()["state"]
    code = fake.issue_code(open_id)
    return post_json(client, "/api/accounts/connect/complete", {"code": code, "state": state})


def test_connect_and_reconnect_each_store_a_point_at_the_connect_time(
    auth_client, fake_tiktok
) -> None:
    person = fake_tiktok.add_identity(open_id="history-person", follower_count=5, video_count=2)
    account_id = _connect(auth_client, fake_tiktok, person.open_id).json()["id"]
    person.follower_count = 8
    _connect(auth_client, fake_tiktok, person.open_id)

    points = list(HistoryPoint.objects.filter(account_id=account_id).order_by("at"))
    assert [p.follower_count for p in points] == [5, 8]
    account = points[0].account
    assert points[-1].at == account.connected_at
    assert _counts(points[-1]) == _counts(account)


def test_a_successful_sync_stores_the_new_counts(auth_client, user, link_account) -> None:
    account, person = link_account(user)

    response = auth_client.post(f"/api/accounts/{account.pk}/sync")

    assert response.status_code == 200
    point = HistoryPoint.objects.get(account=account)
    assert _counts(point) == _counts(person)
    account.refresh_from_db()
    assert point.at == account.last_synced_at


def test_a_failed_sync_stores_no_point(auth_client, user, link_account, fake_tiktok) -> None:
    account, _ = link_account(user)
    fake_tiktok.add_fault("user_info", "server_error")

    assert auth_client.post(f"/api/accounts/{account.pk}/sync").status_code == 502
    assert not HistoryPoint.objects.exists()


def test_a_batch_stores_its_successes_in_one_insert(
    auth_client, user, link_account, fake_tiktok
) -> None:
    accounts = [link_account(user)[0] for _ in range(4)]
    failing = accounts[0]
    fake_tiktok.add_fault("user_info", "server_error", open_id=failing.open_id)
    ids = [str(a.pk) for a in accounts]

    with CaptureQueriesContext(connection) as queries:
        response = post_json(auth_client, "/api/accounts/batch/sync", {"account_ids": ids})

    assert len(response.json()["succeeded"]) == 3
    assert set(HistoryPoint.objects.values_list("account_id", flat=True)) == {
        a.pk for a in accounts[1:]
    }
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "history_historypoint"')]
    assert len(inserts) == 1


def test_the_selector_is_one_statement_per_bucket(user) -> None:
    account = TikTokAccountFactory(user=user)
    since = datetime(2026, 1, 1, tzinfo=UTC)
    HistoryPoint.objects.bulk_create(
        HistoryPoint(
            account=account, at=since + timedelta(minutes=17 * n), **dict.fromkeys(COUNTS, n)
        )
        for n in range(200)
    )

    for bucket in Bucket:
        with CaptureQueriesContext(connection) as queries:
            points = list(
                history_points(
                    account_id=account.id,
                    since=since,
                    until=since + timedelta(days=3),
                    bucket=bucket,
                )
            )
        assert len(queries) == 1
        expected = {Bucket.RAW: 200, Bucket.HOUR: 57, Bucket.DAY: 3}[bucket]
        assert len(points) == expected, bucket


def test_prune_deletes_points_older_than_the_retention_in_batches(
    user, settings, monkeypatch
) -> None:
    settings.HISTORY_RETENTION_DAYS = 10
    monkeypatch.setattr(history_services, "PRUNE_BATCH_SIZE", 2)
    account = TikTokAccountFactory(user=user)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    ages = [30, 20, 11, 10.5, 9.9, 1]
    HistoryPoint.objects.bulk_create(
        HistoryPoint(account=account, at=now - timedelta(days=age), **dict.fromkeys(COUNTS, 1))
        for age in ages
    )

    with CaptureQueriesContext(connection) as queries:
        deleted = history_prune(now=now)

    assert deleted == 4
    kept = sorted((now - p.at).days for p in HistoryPoint.objects.all())
    assert kept == [1, 9]
    deletes = [q for q in queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 2
    assert history_prune(now=now) == 0
