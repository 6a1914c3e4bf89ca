"""GET /api/audit-logs: the caller's own entries, newest first, cursor-paginated."""

from __future__ import annotations

import re
import uuid

import pytest

from apps.audit.models import AuditLog
from testing.factories import TikTokAccountFactory, personal_workspace
from testing.http import assert_error, assert_validation_error

pytestmark = pytest.mark.django_db

URL = "/api/audit-logs"
ITEM_FIELDS = {
    "id",
    "action",
    "resource_type",
    "resource_id",
    "changes",
    "metadata",
    "ip_address",
    "created_at",
}


def _entries(user, count: int, resource_id=None) -> list[AuditLog]:
    return [
        AuditLog.objects.create(
            workspace=personal_workspace(user),
            user=user,
            action="sync",
            resource_type="tiktok_account",
            resource_id=resource_id or uuid.uuid4(),
            metadata={"n": n},
        )
        for n in range(count)
    ]


def _newest_first(entries) -> list[str]:
    return [str(e.id) for e in sorted(entries, key=lambda e: (e.created_at, e.id), reverse=True)]


def _walk(client, **params) -> list[str]:
    seen, cursor = [], None
    for _ in range(100):
        body = client.get(URL, {**params, **({"cursor": cursor} if cursor else {})}).json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        assert body["has_more"] is (cursor is not None)
        if cursor is None:
            return seen
    raise AssertionError("the cursor walk never ended")


def test_audit_log_lists_only_the_callers_entries(auth_client, user, other_user) -> None:
    mine = _entries(user, 2)
    _entries(other_user, 3)

    body = auth_client.get(URL).json()

    assert {item["id"] for item in body["items"]} == {str(e.id) for e in mine}


def test_audit_log_is_newest_first(auth_client, user) -> None:
    entries = _entries(user, 5)

    body = auth_client.get(URL).json()

    assert [item["id"] for item in body["items"]] == _newest_first(entries)
    assert body["items"][0]["id"] == str(entries[-1].id)
    assert body["has_more"] is False
    assert body["next_cursor"] is None


def test_audit_log_cursor_walk_yields_every_entry_once(auth_client, user) -> None:
    entries = _entries(user, 7)

    assert _walk(auth_client, limit=3) == _newest_first(entries)


def test_audit_log_filters_by_resource_id(auth_client, user) -> None:
    target = uuid.uuid4()
    wanted = _entries(user, 4, resource_id=target)
    _entries(user, 3)

    assert _walk(auth_client, limit=3, resource_id=str(target)) == _newest_first(wanted)


def test_audit_log_malformed_resource_id_is_a_validation_error(auth_client, user) -> None:
    assert_validation_error(auth_client.get(URL, {"resource_id": "nope"}))


def test_audit_log_item_shape(auth_client, user, fake_tiktok) -> None:
    account = TikTokAccountFactory(user=user)
    assert auth_client.delete(f"/api/accounts/{account.id}").status_code == 204

    item = auth_client.get(URL).json()["items"][0]

    assert set(item) == ITEM_FIELDS
    assert item["action"] == "delete"
    assert item["resource_type"] == "tiktok_account"
    assert item["resource_id"] == str(account.id)
    assert isinstance(item["changes"], dict)
    assert isinstance(item["metadata"], dict)
    assert item["ip_address"] == "127.0.0.1"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|\+00:00)$", item["created_at"])


def test_audit_log_page_has_items_cursor_and_has_more(auth_client, user) -> None:
    _entries(user, 3)

    body = auth_client.get(URL, {"limit": 2}).json()

    assert set(body) == {"items", "next_cursor", "has_more"}
    assert len(body["items"]) == 2
    assert body["has_more"] is True
    assert isinstance(body["next_cursor"], str)


@pytest.mark.parametrize("limit", ["0", "-1", "51", "abc"])
def test_audit_log_rejects_limit_out_of_range(auth_client, user, limit) -> None:
    errors = assert_validation_error(auth_client.get(URL, {"limit": limit}))

    assert any("limit" in error["loc"] for error in errors)


@pytest.mark.parametrize(("limit", "count"), [(1, 1), (50, 50), (None, 20)])
def test_audit_log_accepts_limit_bounds_and_defaults_to_20(auth_client, user, limit, count) -> None:
    _entries(user, 51)

    body = auth_client.get(URL, {} if limit is None else {"limit": limit}).json()

    assert len(body["items"]) == count
    assert body["has_more"] is True


def test_audit_log_another_users_cursor_is_invalid_cursor(
    auth_client, other_client, user, other_user
) -> None:
    _entries(user, 3)
    _entries(other_user, 3)
    foreign = other_client.get(URL, {"limit": 1}).json()["next_cursor"]

    assert_error(auth_client.get(URL, {"cursor": foreign}), 422, "INVALID_CURSOR")


def test_audit_log_cursor_of_another_resource_filter_is_invalid_cursor(auth_client, user) -> None:
    target = uuid.uuid4()
    _entries(user, 3, resource_id=target)
    cursor = auth_client.get(URL, {"limit": 1, "resource_id": str(target)}).json()["next_cursor"]

    assert_error(auth_client.get(URL, {"cursor": cursor}), 422, "INVALID_CURSOR")
    other = {"cursor": cursor, "resource_id": str(uuid.uuid4())}
    assert_error(auth_client.get(URL, other), 422, "INVALID_CURSOR")


def test_audit_log_accounts_list_cursor_is_invalid_cursor(auth_client, user) -> None:
    _entries(user, 3)
    TikTokAccountFactory.create_batch(2, user=user)
    accounts_cursor = auth_client.get("/api/accounts", {"limit": 1}).json()["next_cursor"]

    assert_error(auth_client.get(URL, {"cursor": accounts_cursor}), 422, "INVALID_CURSOR")


@pytest.mark.parametrize("cursor", ["abc", "x" * 200])
def test_audit_log_malformed_cursor_is_invalid_cursor(auth_client, user, cursor) -> None:
    _entries(user, 2)

    assert_error(auth_client.get(URL, {"cursor": cursor}), 422, "INVALID_CURSOR")


def test_audit_log_records_a_sync_with_before_and_after(
    auth_client, user, link_account, fake_tiktok
) -> None:
    account, person = link_account(user)
    assert auth_client.post(f"/api/accounts/{account.id}/sync").status_code == 200

    items = auth_client.get(URL, {"resource_id": str(account.id)}).json()["items"]

    assert [item["action"] for item in items] == ["sync"]
    assert items[0]["changes"] == {
        "before": {"follower_count": account.follower_count, "video_count": account.video_count},
        "after": {"follower_count": person.follower_count, "video_count": person.video_count},
    }
