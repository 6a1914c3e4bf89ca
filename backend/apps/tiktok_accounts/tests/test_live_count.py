"""LiveAccountCount: the triggers keep it equal to the live rows, whatever the write.

Runs on both databases: the SQLite pass checks the SQLite triggers, the PostgreSQL pass the
plpgsql ones.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from apps.audit.services import RequestMeta
from apps.tiktok_accounts.list_page import account_list_page
from apps.tiktok_accounts.models import AccountStatus, LiveAccountCount, TikTokAccount
from apps.tiktok_accounts.services.delete import account_delete, account_restore
from apps.workspaces.personal import personal_workspace_id
from testing.accounts import personal_access
from testing.factories import TikTokAccountFactory, UserFactory

pytestmark = pytest.mark.django_db


def _kept() -> dict[object, int]:
    return {row.workspace_id: row.live for row in LiveAccountCount.objects.all() if row.live}


def _counted() -> dict[object, int]:
    rows = TikTokAccount.objects.values("workspace").annotate(live=Count("id"))
    return {row["workspace"]: row["live"] for row in rows}


def assert_kept_equals_counted() -> None:
    assert _kept() == _counted()


def _triggers(table: str) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass", [table])
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table]
            )
        return {name for (name,) in cursor.fetchall()}


def test_the_triggers_exist_after_every_migration() -> None:
    """A later migration that rebuilds the table on SQLite would drop them silently: the
    live count's (0005, 0007) and the account totals' (0010, on the workspaces table too)."""
    names = _triggers("tiktok_accounts_tiktokaccount")
    assert {"tta_live_count_insert", "tta_live_count_delete"} <= names
    assert any(name.startswith("tta_live_count_update") for name in names)
    assert {"tta_account_totals_insert", "tta_account_totals_delete"} <= names
    updates = {name for name in names if name.startswith("tta_account_totals_update")}
    assert len(updates) == (1 if connection.vendor == "postgresql" else 3), names
    assert "tta_account_totals_workspace_delete" in _triggers("workspaces_workspace")


def test_every_kind_of_write_keeps_the_count(fake_tiktok) -> None:
    alice, bob = UserFactory(), UserFactory()
    alices, bobs = personal_workspace_id(alice.pk), personal_workspace_id(bob.pk)
    accounts = TikTokAccountFactory.create_batch(3, user=alice)  # save(): inserts
    assert_kept_equals_counted()

    TikTokAccount.objects.bulk_create(  # bulk_create, a deleted row among them
        [
            TikTokAccountFactory.build(user=bob),
            TikTokAccountFactory.build(user=bob),
            TikTokAccountFactory.build(user=bob, is_deleted=True),
        ]
    )
    assert _kept() == {alices: 3, bobs: 2}

    account_delete(account=accounts[0], meta=RequestMeta())  # the service's soft delete
    assert _kept() == {alices: 2, bobs: 2}
    accounts[0].refresh_from_db()
    assert account_restore(account=accounts[0], meta=RequestMeta(), actor="ops")
    assert _kept() == {alices: 3, bobs: 2}

    TikTokAccount.objects.filter(workspace_id=alices).update(is_deleted=True)  # QuerySet.update()
    assert _kept() == {bobs: 2}
    TikTokAccount.all_objects.filter(pk=accounts[1].pk).update(is_deleted=False)
    assert _kept() == {alices: 1, bobs: 2}

    TikTokAccount.all_objects.filter(pk=accounts[1].pk).update(
        workspace_id=bobs
    )  # a change of owner
    assert _kept() == {bobs: 3}
    TikTokAccount.objects.filter(status=AccountStatus.ACTIVE).update(follower_count=7)
    assert _kept() == {bobs: 3}  # other columns: untouched

    TikTokAccount.all_objects.filter(workspace_id=alices).delete()  # deleted rows: nothing to take
    TikTokAccount.all_objects.filter(pk=accounts[1].pk).delete()  # a live row
    assert _kept() == {bobs: 2}
    bob.delete()  # the cascade
    assert _kept() == {}
    assert_kept_equals_counted()


def test_the_unfiltered_list_reads_the_count_and_a_filtered_one_counts() -> None:
    user = UserFactory()
    TikTokAccountFactory.create_batch(3, user=user)
    TikTokAccountFactory(user=user, status=AccountStatus.REVOKED)

    with CaptureQueriesContext(connection) as queries:
        assert account_list_page(access=personal_access(user), limit=2).total == 4
    (statement,) = (query["sql"] for query in queries.captured_queries)
    assert "liveaccountcount" in statement
    assert "COUNT(*)" not in statement

    with CaptureQueriesContext(connection) as queries:
        assert (
            account_list_page(
                access=personal_access(user), limit=2, status=AccountStatus.REVOKED
            ).total
            == 1
        )
    (statement,) = (query["sql"] for query in queries.captured_queries)
    assert "COUNT(*)" in statement
    assert (
        account_list_page(access=personal_access(UserFactory()), limit=2).total == 0
    )  # no row: no account


@pytest.mark.django_db(transaction=True)
def test_concurrent_writes_for_one_user_all_count() -> None:
    """Eight transactions adding and soft-deleting one user's accounts at once (PostgreSQL
    runs them truly concurrently; SQLite serializes them): no update is lost."""
    user = UserFactory()
    doomed = TikTokAccountFactory.create_batch(4, user=user)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def write(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                if index < 4:
                    TikTokAccountFactory.create_batch(3, user=user)
                else:
                    TikTokAccount.objects.filter(pk=doomed[index - 4].pk).update(is_deleted=True)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert _kept() == {personal_workspace_id(user.pk): 4 * 3}
    assert_kept_equals_counted()
