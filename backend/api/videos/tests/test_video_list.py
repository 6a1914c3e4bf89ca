"""GET /api/accounts/{id}/videos: keyset walks over three sort orders, isolation, cost."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.videos.models import TikTokVideo
from testing.factories import TikTokAccountFactory, TikTokVideoFactory
from testing.http import assert_error, assert_validation_error

pytestmark = pytest.mark.django_db

VIDEO_OUT_FIELDS = {
    "id",
    "video_id",
    "title",
    "video_description",
    "duration",
    "cover_image_url",
    "share_url",
    "embed_link",
    "create_time",
    "view_count",
    "like_count",
    "comment_count",
    "share_count",
    "synced_at",
}
SORTS = {"-create_time": "create_time", "-view_count": "view_count", "-like_count": "like_count"}


@pytest.fixture
def account(user):
    account = TikTokAccountFactory(user=user)
    TikTokVideoFactory.create_batch(23, account=account)
    TikTokVideoFactory.create_batch(3, account=TikTokAccountFactory(user=user))  # not listed
    return account


def _walk(client, account, sort, limit=5):
    url, cursor, seen, pages = f"/api/accounts/{account.id}/videos", None, [], 0
    while True:
        params = {"limit": limit, "sort": sort} | ({"cursor": cursor} if cursor else {})
        body = client.get(url, params).json()
        assert body["total"] == 23
        seen += body["items"]
        pages += 1
        if not body["has_more"]:
            assert body["next_cursor"] is None
            return seen, pages
        cursor = body["next_cursor"]


@pytest.mark.parametrize("sort", list(SORTS))
def test_keyset_walk_yields_every_video_once_in_order(auth_client, account, sort) -> None:
    items, pages = _walk(auth_client, account, sort)

    assert pages == 5
    assert len({item["id"] for item in items}) == 23
    column = SORTS[sort]
    expected = TikTokVideo.objects.filter(account=account).order_by(f"-{column}", "-id")
    assert [item["id"] for item in items] == [str(video.id) for video in expected]


def test_default_sort_is_newest_first_with_the_contract_fields(auth_client, account) -> None:
    body = auth_client.get(f"/api/accounts/{account.id}/videos").json()

    assert len(body["items"]) == 20
    assert set(body["items"][0]) == VIDEO_OUT_FIELDS
    times = [item["create_time"] for item in body["items"]]
    assert times == sorted(times, reverse=True)
    assert times[0].endswith("Z") or times[0].endswith("+00:00")


def test_a_cursor_of_another_sort_is_invalid(auth_client, account) -> None:
    url = f"/api/accounts/{account.id}/videos"
    cursor = auth_client.get(url, {"limit": 5, "sort": "-view_count"}).json()["next_cursor"]

    response = auth_client.get(url, {"limit": 5, "sort": "-like_count", "cursor": cursor})

    assert_error(response, 422, "INVALID_CURSOR")


@pytest.mark.parametrize("params", [{"sort": "title"}, {"limit": 0}, {"limit": 51}])
def test_bad_query_values_are_422(auth_client, account, params) -> None:
    assert_validation_error(auth_client.get(f"/api/accounts/{account.id}/videos", params))


def test_another_users_account_is_404(other_client, account) -> None:
    assert_error(other_client.get(f"/api/accounts/{account.id}/videos"), 404, "ACCOUNT_NOT_FOUND")


@pytest.mark.parametrize("sort", list(SORTS))
def test_query_count_does_not_grow_with_the_limit(auth_client, account, sort) -> None:
    url = f"/api/accounts/{account.id}/videos"
    counts = []
    # The first authenticated request may read the user from the database (then the cache).
    assert auth_client.get(url).status_code == 200
    for limit in (1, 50):
        with CaptureQueriesContext(connection) as queries:
            assert auth_client.get(url, {"limit": limit, "sort": sort}).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN is a PostgreSQL check")
@pytest.mark.parametrize("sort", list(SORTS))
def test_each_sort_is_an_index_scan_without_a_sort_step(account, sort) -> None:
    column = SORTS[sort]
    queryset = TikTokVideo.objects.filter(account=account).order_by(f"-{column}", "-id")[:21]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()

    assert "Index Scan" in plan, plan
    assert "Sort" not in plan, plan
