"""GET /api/accounts/stats/summary: totals over the caller's live accounts, cached, fresh."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.tiktok_accounts.models import AccountStatus
from testing.factories import TikTokAccountFactory
from testing.http import post_json

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_cache")]

URL = "/api/accounts/stats/summary"
TABLE = "tiktok_accounts_tiktokaccount"
PARTS = "tiktok_accounts_accounttotalspart"
ZERO = {
    "total_accounts": 0,
    "active_accounts": 0,
    "total_followers": 0,
    "total_videos": 0,
    "total_likes": 0,
}


def _account_queries(captured) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if TABLE in query["sql"]]


def _summary_queries(captured) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if PARTS in query["sql"]]


def test_summary_of_no_accounts_is_all_zero(auth_client, user) -> None:
    response = auth_client.get(URL)

    assert response.status_code == 200, response.content
    assert response.json() == ZERO


def test_summary_totals_only_the_callers_live_accounts(auth_client, user, other_user) -> None:
    a = TikTokAccountFactory(user=user, follower_count=100, video_count=3, likes_count=1_000)
    b = TikTokAccountFactory(
        user=user, follower_count=50, video_count=2, likes_count=500, status=AccountStatus.REVOKED
    )
    c = TikTokAccountFactory(
        user=user, follower_count=7, video_count=1, likes_count=9, status=AccountStatus.ERROR
    )
    TikTokAccountFactory(
        user=user, follower_count=10**6, is_deleted=True, deleted_at=timezone.now()
    )
    TikTokAccountFactory(user=other_user, follower_count=10**7)

    body = auth_client.get(URL).json()

    assert body == {
        "total_accounts": 3,
        "active_accounts": 1,
        "total_followers": a.follower_count + b.follower_count + c.follower_count,
        "total_videos": 6,
        "total_likes": 1_509,
    }


def test_summary_handles_large_counts(auth_client, user) -> None:
    TikTokAccountFactory.create_batch(3, user=user, follower_count=3_000_000_000)

    assert auth_client.get(URL).json()["total_followers"] == 9_000_000_000


def test_summary_runs_one_statement_over_the_kept_totals_then_serves_from_cache(
    auth_client, user
) -> None:
    TikTokAccountFactory.create_batch(5, user=user)

    with CaptureQueriesContext(connection) as first:
        assert auth_client.get(URL).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert auth_client.get(URL).status_code == 200

    # The kept count and the sums of the totals' parts: no account row is read.
    (summary,) = _summary_queries(first)
    assert "liveaccountcount" in summary
    assert "SUM" in summary.upper()
    assert _account_queries(first) == []
    assert _summary_queries(second) == []


def test_summary_is_per_user_in_the_cache(auth_client, other_client, user, other_user) -> None:
    TikTokAccountFactory(user=user, follower_count=5)
    TikTokAccountFactory.create_batch(2, user=other_user, follower_count=1)

    mine = auth_client.get(URL).json()
    theirs = other_client.get(URL).json()

    assert (mine["total_accounts"], mine["total_followers"]) == (1, 5)
    assert (theirs["total_accounts"], theirs["total_followers"]) == (2, 2)


# --- every change is visible in the very next summary ---------------------------------------
# transaction=True: the cache is invalidated when the write commits, as in production.


@pytest.mark.django_db(transaction=True)
def test_summary_shows_a_sync_in_the_next_call(
    auth_client, user, link_account, fake_tiktok
) -> None:
    account, person = link_account(user)
    assert auth_client.get(URL).json()["total_followers"] == account.follower_count

    assert auth_client.post(f"/api/accounts/{account.id}/sync").status_code == 200

    body = auth_client.get(URL).json()
    assert body["total_followers"] == person.follower_count
    assert body["total_videos"] == person.video_count


@pytest.mark.django_db(transaction=True)
def test_summary_shows_a_failed_sync_that_changed_status_in_the_next_call(
    auth_client, user, link_account, fake_tiktok
) -> None:
    account, _ = link_account(user)
    assert auth_client.get(URL).json()["active_accounts"] == 1
    fake_tiktok.revoke_all(account.open_id)

    assert auth_client.post(f"/api/accounts/{account.id}/sync").status_code == 409

    assert auth_client.get(URL).json()["active_accounts"] == 0


@pytest.mark.django_db(transaction=True)
def test_summary_shows_a_batch_sync_in_the_next_call(
    auth_client, user, link_account, fake_tiktok
) -> None:
    pairs = [link_account(user) for _ in range(3)]
    assert auth_client.get(URL).json()["total_followers"] == sum(a.follower_count for a, _ in pairs)

    response = post_json(
        auth_client, "/api/accounts/batch/sync", {"account_ids": [str(a.id) for a, _ in pairs]}
    )
    assert response.status_code == 200

    assert auth_client.get(URL).json()["total_followers"] == sum(p.follower_count for _, p in pairs)


@pytest.mark.django_db(transaction=True)
def test_summary_shows_a_delete_in_the_next_call(auth_client, user, fake_tiktok) -> None:
    account = TikTokAccountFactory(user=user, follower_count=40)
    TikTokAccountFactory(user=user, follower_count=2)
    assert auth_client.get(URL).json()["total_accounts"] == 2

    assert auth_client.delete(f"/api/accounts/{account.id}").status_code == 204

    body = auth_client.get(URL).json()
    assert body["total_accounts"] == 1
    assert body["total_followers"] == 2


@pytest.mark.django_db(transaction=True)
def test_summary_shows_a_connect_in_the_next_call(auth_client, user, fake_tiktok) -> None:
    person = fake_tiktok.add_identity(
        open_id=f"summary-{user.pk}-{timezone.now().timestamp()}", follower_count=321
    )
    assert auth_client.get(URL).json() == ZERO
    state = auth_client.post("/api/accounts/connect/start").json()["state"]

    response = post_json(
        auth_client,
        "/api/accounts/connect/complete",
        {"code": fake_tiktok.issue_code(person.open_id), "state": state},
    )
    assert response.status_code == 201, response.content

    body = auth_client.get(URL).json()
    assert body["total_accounts"] == 1
    assert body["total_followers"] == 321
