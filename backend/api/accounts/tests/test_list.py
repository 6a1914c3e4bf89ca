"""GET /api/accounts: keyset order, cursor walks, filters, validation, isolation, SQL count."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.audit.models import AuditLog
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from testing.accounts import ACCOUNT_OUT_FIELDS, assert_no_secrets
from testing.factories import TikTokAccountFactory, personal_workspace
from testing.http import assert_error, assert_validation_error

pytestmark = pytest.mark.django_db

URL = "/api/accounts"


def _ids(accounts) -> list[str]:
    return [str(account.id) for account in accounts]


def _newest_first(accounts) -> list[str]:
    return _ids(sorted(accounts, key=lambda a: (a.created_at, a.id), reverse=True))


def _walk(client: Client, **params) -> tuple[list[str], list[dict]]:
    """Follows next_cursor to the end; returns every id seen and every page body."""
    seen, pages, cursor = [], [], None
    for _ in range(100):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(URL, query)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append(body)
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        assert body["has_more"] is (cursor is not None)
        if not body["has_more"]:
            return seen, pages
    raise AssertionError("the cursor walk never ended")


# --- order and cursor walk ------------------------------------------------------------------


def test_list_orders_newest_first(auth_client, user) -> None:
    accounts = TikTokAccountFactory.create_batch(4, user=user)

    body = auth_client.get(URL).json()

    assert [item["id"] for item in body["items"]] == _ids(reversed(accounts))
    assert body["total"] == 4
    assert body["has_more"] is False
    assert body["next_cursor"] is None


def test_list_breaks_created_at_ties_by_id_desc(auth_client, user) -> None:
    same = datetime(2024, 5, 1, 12, 0, 0, 500_000, tzinfo=UTC)
    tied = TikTokAccountFactory.create_batch(5, user=user, created_at=same)
    older = TikTokAccountFactory(user=user, created_at=same - timedelta(microseconds=1))
    newer = TikTokAccountFactory(user=user, created_at=same + timedelta(microseconds=1))
    expected = _newest_first([*tied, older, newer])

    first_page = auth_client.get(URL).json()
    walked, _ = _walk(auth_client, limit=1)

    assert [item["id"] for item in first_page["items"]] == expected
    assert walked == expected


def test_list_cursor_walk_yields_every_account_exactly_once(auth_client, user) -> None:
    accounts = TikTokAccountFactory.create_batch(7, user=user)

    walked, pages = _walk(auth_client, limit=2)

    assert walked == _newest_first(accounts)
    assert [len(page["items"]) for page in pages] == [2, 2, 2, 1]


def test_list_cursor_walk_survives_connects_and_deletes_during_the_walk(
    auth_client, user, fake_tiktok
) -> None:
    originals = TikTokAccountFactory.create_batch(9, user=user)
    expected = _newest_first(originals)

    first = auth_client.get(URL, {"limit": 3}).json()
    seen = [item["id"] for item in first["items"]]
    # During the walk: two accounts connected, one seen and one unseen account disconnected.
    TikTokAccountFactory.create_batch(2, user=user)
    deleted_seen, deleted_unseen = expected[0], expected[6]
    assert auth_client.delete(f"{URL}/{deleted_seen}").status_code == 204
    assert auth_client.delete(f"{URL}/{deleted_unseen}").status_code == 204
    rest, _ = _walk(auth_client, limit=3, cursor=first["next_cursor"])
    seen += rest

    assert len(seen) == len(set(seen))
    assert seen == [account_id for account_id in expected if account_id != deleted_unseen]


def test_list_total_counts_every_match_whatever_the_cursor(auth_client, user) -> None:
    TikTokAccountFactory.create_batch(5, user=user)

    _, pages = _walk(auth_client, limit=2)

    assert [page["total"] for page in pages] == [5, 5, 5]


def test_list_total_counts_the_filtered_matches_on_every_page(auth_client, user) -> None:
    for n in range(5):
        TikTokAccountFactory(user=user, username=f"match_{n}")
    TikTokAccountFactory.create_batch(3, user=user)

    _, pages = _walk(auth_client, limit=2, search="MATCH_")

    assert [page["total"] for page in pages] == [5, 5, 5]
    assert sum(len(page["items"]) for page in pages) == 5


# --- search ---------------------------------------------------------------------------------


@pytest.fixture
def searchable(user) -> dict[str, TikTokAccount]:
    rows = {
        "alpha": ("alpha_one", "Sunny Beach"),
        "taco": ("taco_truck", "Street Food"),
        "percent": ("beta_two", "100% Real"),
        "plain": ("gamma", "Plain Name"),
        "backslash": ("back\\slash", "Escaped"),
        "ecole": ("ecole_paris", "école de danse"),
        "tokyo": ("tokyo.eats", "東京グルメ"),
    }
    return {
        key: TikTokAccountFactory(user=user, username=username, display_name=display_name)
        for key, (username, display_name) in rows.items()
    }


@pytest.mark.parametrize("search", ["\n", "one\nsunny", "tab\there", "nul\x00"])
def test_list_search_with_a_control_character_is_422(auth_client, search) -> None:
    # Names hold no control characters, and a term spanning username and display name
    # (joined by a line break in the search column) must never match across them.
    response = auth_client.get(URL, {"search": search})
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert response.json()["errors"][0]["loc"][-1] == "search"


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("SUNNY", {"alpha"}),
        ("Alpha_O", {"alpha"}),
        ("street", {"taco"}),
        ("a_o", {"alpha"}),  # a wildcard `_` would match "taco" too
        ("%", {"percent"}),  # a wildcard `%` would match everything
        ("0% r", {"percent"}),
        ("\\", {"backslash"}),
        ("k\\s", {"backslash"}),
        ("ÉCOLE", {"ecole"}),
        ("東京", {"tokyo"}),
        ("グルメ", {"tokyo"}),
        ("nothing-like-this", set()),
    ],
)
def test_list_search_is_a_literal_case_insensitive_substring(
    auth_client, searchable, search, expected
) -> None:
    body = auth_client.get(URL, {"search": search}).json()

    found = {key for key, account in searchable.items() if str(account.id) in _ids_of(body)}
    assert found == expected
    assert body["total"] == len(expected)
    assert len(body["items"]) == len(expected)


def _ids_of(body: dict) -> set[str]:
    return {item["id"] for item in body["items"]}


def test_list_search_of_100_chars_is_accepted(auth_client, user) -> None:
    response = auth_client.get(URL, {"search": "x" * 100})

    assert response.status_code == 200, response.content
    assert response.json()["total"] == 0


def test_list_search_over_100_chars_is_a_validation_error(auth_client, user) -> None:
    assert_validation_error(auth_client.get(URL, {"search": "x" * 101}))


# --- status filter --------------------------------------------------------------------------


def test_list_filters_by_status(auth_client, user) -> None:
    by_status = {status: TikTokAccountFactory(user=user, status=status) for status in AccountStatus}

    for status, account in by_status.items():
        body = auth_client.get(URL, {"status": status.value}).json()
        assert [item["id"] for item in body["items"]] == [str(account.id)]
        assert body["items"][0]["status"] == status.value
        assert body["total"] == 1


def test_list_combines_search_and_status(auth_client, user) -> None:
    wanted = TikTokAccountFactory(user=user, username="match_a", status=AccountStatus.REVOKED)
    TikTokAccountFactory(user=user, username="match_b", status=AccountStatus.ACTIVE)
    TikTokAccountFactory(user=user, username="other", status=AccountStatus.REVOKED)

    body = auth_client.get(URL, {"search": "match", "status": "revoked"}).json()

    assert [item["id"] for item in body["items"]] == [str(wanted.id)]
    assert body["total"] == 1


def test_list_unknown_status_is_a_validation_error(auth_client, user) -> None:
    assert_validation_error(auth_client.get(URL, {"status": "paused"}))


# --- limit ----------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["0", "-1", "51", "abc", "1.5"])
def test_list_rejects_limit_out_of_range(auth_client, user, limit) -> None:
    errors = assert_validation_error(auth_client.get(URL, {"limit": limit}))

    assert any("limit" in error["loc"] for error in errors)


@pytest.mark.parametrize("limit", [1, 50])
def test_list_accepts_limit_bounds(auth_client, user, limit) -> None:
    TikTokAccountFactory.create_batch(51, user=user)

    body = auth_client.get(URL, {"limit": limit}).json()

    assert len(body["items"]) == limit
    assert body["total"] == 51
    assert body["has_more"] is True


def test_list_default_limit_is_20(auth_client, user) -> None:
    TikTokAccountFactory.create_batch(21, user=user)

    body = auth_client.get(URL).json()

    assert len(body["items"]) == 20
    assert body["has_more"] is True


# --- cursors --------------------------------------------------------------------------------


def _cursor(client: Client, **params) -> str:
    body = client.get(URL, {"limit": 1, **params}).json()
    assert body["next_cursor"], body
    return body["next_cursor"]


def _flip(text: str, at: int) -> str:
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]


@pytest.mark.parametrize("cursor", ["abc", "not-a-cursor:at:all", "eyJ0IjoxfQ", "%00", "x" * 300])
def test_list_malformed_cursor_is_invalid_cursor(auth_client, user, cursor) -> None:
    TikTokAccountFactory.create_batch(2, user=user)

    assert_error(auth_client.get(URL, {"cursor": cursor}), 422, "INVALID_CURSOR")


@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_list_tampered_cursor_is_invalid_cursor(auth_client, user, where) -> None:
    TikTokAccountFactory.create_batch(3, user=user)
    cursor = _cursor(auth_client)
    at = {"start": 1, "middle": len(cursor) // 2, "end": len(cursor) - 2}[where]

    assert_error(auth_client.get(URL, {"cursor": _flip(cursor, at)}), 422, "INVALID_CURSOR")


def test_list_another_users_cursor_is_invalid_cursor(
    auth_client, other_client, user, other_user
) -> None:
    TikTokAccountFactory.create_batch(3, user=user)
    TikTokAccountFactory.create_batch(3, user=other_user)
    foreign = _cursor(other_client)

    assert_error(auth_client.get(URL, {"cursor": foreign}), 422, "INVALID_CURSOR")


@pytest.mark.parametrize(
    ("made_with", "used_with"),
    [
        ({"search": "match"}, {}),
        ({}, {"search": "match"}),
        ({"search": "match"}, {"search": "matc"}),
        ({"status": "active"}, {}),
        ({"status": "active"}, {"status": "revoked"}),
        ({}, {"status": "active"}),
    ],
)
def test_list_cursor_of_other_filters_is_invalid_cursor(
    auth_client, user, made_with, used_with
) -> None:
    for n in range(3):
        TikTokAccountFactory(user=user, username=f"match_{n}")
    cursor = _cursor(auth_client, **made_with)

    response = auth_client.get(URL, {"cursor": cursor, **used_with})

    assert_error(response, 422, "INVALID_CURSOR")


def test_list_audit_log_cursor_is_invalid_cursor(auth_client, user) -> None:
    TikTokAccountFactory.create_batch(2, user=user)
    for _ in range(2):
        AuditLog.objects.create(
            workspace=personal_workspace(user),
            user=user,
            action="sync",
            resource_type="tiktok_account",
        )
    audit_cursor = auth_client.get("/api/audit-logs", {"limit": 1}).json()["next_cursor"]
    assert audit_cursor

    assert_error(auth_client.get(URL, {"cursor": audit_cursor}), 422, "INVALID_CURSOR")


# --- isolation, secrets, shapes -------------------------------------------------------------


def test_list_never_shows_another_users_accounts(auth_client, user, other_user) -> None:
    mine = TikTokAccountFactory.create_batch(2, user=user)
    TikTokAccountFactory.create_batch(3, user=other_user)

    body = auth_client.get(URL).json()

    assert _ids_of(body) == set(_ids(mine))
    assert body["total"] == 2


def test_list_hides_deleted_accounts(auth_client, user) -> None:
    live = TikTokAccountFactory(user=user)
    TikTokAccountFactory(user=user, is_deleted=True, deleted_at=datetime.now(UTC))

    body = auth_client.get(URL).json()

    assert _ids_of(body) == {str(live.id)}
    assert body["total"] == 1


def test_list_items_have_exactly_the_account_out_fields(auth_client, user) -> None:
    account = TikTokAccountFactory(user=user, last_synced_at=datetime.now(UTC))

    item = auth_client.get(URL).json()["items"][0]

    assert set(item) == ACCOUNT_OUT_FIELDS
    assert item["id"] == str(account.id)
    assert item["open_id"] == account.open_id
    assert item["username"] == account.username
    assert item["follower_count"] == account.follower_count
    assert item["status"] == "active"


def test_list_body_holds_no_token(auth_client, user) -> None:
    accounts = TikTokAccountFactory.create_batch(3, user=user)

    response = auth_client.get(URL)

    assert response.status_code == 200
    assert_no_secrets(response, *accounts)


ISO_WITH_MICROSECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.(\d{6})(Z|\+00:00)$")


def test_list_timestamps_are_utc_iso_8601_with_microseconds(auth_client, user) -> None:
    created = datetime(2024, 3, 9, 8, 7, 6, 123_456, tzinfo=UTC)
    synced = datetime(2024, 3, 10, 1, 2, 3, 654_321, tzinfo=UTC)
    TikTokAccountFactory(user=user, created_at=created, last_synced_at=synced)

    item = auth_client.get(URL).json()["items"][0]

    created_match = ISO_WITH_MICROSECONDS.match(item["created_at"])
    synced_match = ISO_WITH_MICROSECONDS.match(item["last_synced_at"])
    assert created_match, item["created_at"]
    assert synced_match, item["last_synced_at"]
    assert created_match.group(1) == "123456"
    assert synced_match.group(1) == "654321"


def test_list_keeps_order_of_accounts_connected_in_the_same_millisecond(auth_client, user) -> None:
    base = datetime(2024, 3, 9, 8, 7, 6, 123_000, tzinfo=UTC)
    accounts = [
        TikTokAccountFactory(user=user, created_at=base + timedelta(microseconds=n))
        for n in (1, 2, 3)
    ]

    items = auth_client.get(URL).json()["items"]

    assert [item["id"] for item in items] == _ids(reversed(accounts))
    parsed = [datetime.fromisoformat(item["created_at"]) for item in items]
    assert parsed == sorted(parsed, reverse=True)
    assert len(set(parsed)) == 3


# --- SQL --------------------------------------------------------------------------------------


def test_list_runs_a_constant_number_of_queries_whatever_the_limit(
    auth_client, user, django_assert_num_queries
) -> None:
    TikTokAccountFactory.create_batch(60, user=user)
    auth_client.get("/api/jobs")  # the user and their role are then cached (shared cache)
    with CaptureQueriesContext(connection) as warmup:
        assert auth_client.get(URL, {"limit": 20}).status_code == 200
    expected = len(warmup.captured_queries)
    # (Auth's user lookup without a shared cache,) the page with its COUNT: nothing per row.
    assert expected <= 2

    for limit in (1, 50):  # other queries: never a cached answer
        with django_assert_num_queries(expected):
            body = auth_client.get(URL, {"limit": limit}).json()
        assert len(body["items"]) == limit
    cursor = body["next_cursor"]
    with django_assert_num_queries(expected):
        assert auth_client.get(URL, {"limit": 50, "cursor": cursor}).status_code == 200


def test_an_empty_later_page_still_counts_the_total(auth_client, user) -> None:
    """The COUNT rides in the page's statement; a page with no row runs it alone."""
    accounts = TikTokAccountFactory.create_batch(3, user=user)
    first = auth_client.get(URL, {"limit": 2}).json()
    remaining = {str(account.pk) for account in accounts} - {i["id"] for i in first["items"]}
    TikTokAccount.all_objects.filter(pk__in=remaining).update(is_deleted=True)

    body = auth_client.get(URL, {"limit": 2, "cursor": first["next_cursor"]}).json()

    assert body == {"items": [], "total": 2, "next_cursor": None, "has_more": False}
