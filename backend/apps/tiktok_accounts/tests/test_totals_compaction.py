"""Compaction of the account totals' parts: one part per workspace, the same summaries, safe
with writers and with two compactors at once (truly concurrent on PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.db.models import F

from apps.tiktok_accounts.models import AccountTotalsPart, TikTokAccount
from apps.tiktok_accounts.selectors import account_summary
from apps.tiktok_accounts.services.totals import _compact, account_totals_compact
from testing.factories import TikTokAccountFactory, UserFactory, personal_workspace
from testing.totals import assert_summaries_are_the_rows, parts_per_workspace, summary_from_rows

pytestmark = pytest.mark.django_db


def test_compaction_leaves_one_part_per_workspace_and_is_idempotent() -> None:
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    TikTokAccountFactory.create_batch(3, user=alice)
    TikTokAccountFactory(user=bob)
    gone = TikTokAccountFactory.create_batch(2, user=carol)
    TikTokAccount.objects.filter(pk__in=[a.pk for a in gone]).update(is_deleted=True)
    assert parts_per_workspace() == {
        personal_workspace(alice).id: 3,
        personal_workspace(bob).id: 1,
        personal_workspace(carol).id: 4,
    }
    summaries = {ws: account_summary(workspace_id=ws) for ws in parts_per_workspace()}

    assert account_totals_compact() == 2  # alice's and carol's: bob's has one part already

    # Carol's parts summed to zero: none is kept.
    assert parts_per_workspace() == {personal_workspace(alice).id: 1, personal_workspace(bob).id: 1}
    assert {ws: account_summary(workspace_id=ws) for ws in summaries} == summaries
    kept = list(AccountTotalsPart.objects.order_by("id").values())
    assert account_totals_compact() == 0
    assert list(AccountTotalsPart.objects.order_by("id").values()) == kept
    assert_summaries_are_the_rows()


def test_compaction_does_at_most_its_limit_of_workspaces_per_run() -> None:
    for _ in range(3):
        TikTokAccountFactory.create_batch(2, user=UserFactory())

    assert account_totals_compact(limit=2) == 2
    assert sorted(parts_per_workspace().values()) == [1, 1, 2]
    assert account_totals_compact(limit=2) == 1
    assert set(parts_per_workspace().values()) == {1}
    assert_summaries_are_the_rows()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_and_two_compactors_keep_the_summary() -> None:
    """Six writers and two compactors at once (PostgreSQL runs them truly concurrently;
    SQLite serializes them): the summary is the rows' aggregate after all of them."""
    user = UserFactory()
    accounts = TikTokAccountFactory.create_batch(6, user=user)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            for round_ in range(5):
                if index >= 6:
                    account_totals_compact()
                    continue
                with transaction.atomic():
                    TikTokAccount.objects.filter(pk=accounts[index].pk).update(
                        follower_count=F("follower_count") + round_ + 1
                    )
                    TikTokAccountFactory(user=user, follower_count=index)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert_summaries_are_the_rows()
    account_totals_compact()
    assert set(parts_per_workspace().values()) == {1}
    assert_summaries_are_the_rows()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_a_compactor_skips_the_parts_another_one_is_compacting() -> None:
    """The second compactor's DELETE waits for the first's commit, then finds its parts gone
    and does not see the sum the first inserted: one part, the right sum."""
    user = UserFactory()
    TikTokAccountFactory.create_batch(4, user=user)
    workspace = personal_workspace(user)
    expected = summary_from_rows(workspace.id)
    first_deleted = threading.Event()
    second_pid: list[int] = []
    compacted: list[int] = []
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                _compact(workspace.id)
                first_deleted.set()
                _wait_until_blocked(second_pid)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    def second() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                second_pid.append(cursor.fetchone()[0])
            first_deleted.wait(timeout=30)
            compacted.append(account_totals_compact())
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert compacted == [1]  # it found the workspace crowded, then nothing left to take
    assert parts_per_workspace() == {workspace.id: 1}
    assert account_summary(workspace_id=workspace.id) == expected


def _wait_until_blocked(pid: list[int]) -> None:
    """Until the session `pid[0]` waits for a lock this one holds (the second's DELETE)."""
    with connection.cursor() as cursor:
        for _ in range(600):
            if pid:
                cursor.execute("SELECT pg_backend_pid() = ANY(pg_blocking_pids(%s))", pid)
                if cursor.fetchone()[0]:
                    return
            cursor.execute("SELECT pg_sleep(0.05)")
    raise AssertionError("the second compactor never waited for the first")
