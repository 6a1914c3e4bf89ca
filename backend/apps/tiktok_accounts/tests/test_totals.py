"""The account totals' parts: the summary equals an aggregate of the live rows, whatever the
write, before and after compaction (test_totals_compaction has the compaction's own tests).

Runs on both databases: the SQLite pass checks the SQLite triggers, the PostgreSQL pass the
plpgsql ones.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import F
from django.utils import timezone

from apps.audit.services import RequestMeta
from apps.tiktok_accounts.models import AccountStatus, AccountTotalsPart, TikTokAccount
from apps.tiktok_accounts.selectors import SUMMARY_KEYS, account_summary
from apps.tiktok_accounts.services.delete import account_delete, account_restore
from apps.tiktok_accounts.services.tokens import account_refresh_token
from apps.tiktok_accounts.services.totals import account_totals_compact
from apps.workspaces.models import Workspace
from testing.factories import TikTokAccountFactory, UserFactory, personal_workspace
from testing.totals import assert_summaries_are_the_rows, parts_per_workspace

pytestmark = pytest.mark.django_db
ACCOUNTS = TikTokAccount._meta.db_table


def _parts(workspace: Workspace | None = None) -> int:
    parts = AccountTotalsPart.objects.all()
    return (parts.filter(workspace=workspace) if workspace else parts).count()


def _raw_update(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {ACCOUNTS} SET {sql}", params)  # noqa: S608


def _ws(workspace: Workspace) -> object:
    return TikTokAccount._meta.get_field("workspace").get_db_prep_value(workspace.id, connection)


def _writes(fake_tiktok) -> list[tuple[str, Callable[[], object], int | None]]:
    """Every kind of write, in order: (what, the write, the parts it inserts if that is the
    point of the step, else None)."""
    alice, bob = UserFactory(), UserFactory()
    bobs = personal_workspace(bob)
    shared = Workspace.objects.create(name="Agency")
    made: list[TikTokAccount] = []

    def create() -> None:
        made.extend(TikTokAccountFactory.create_batch(3, user=alice))
        made.append(TikTokAccountFactory(user=alice, status=AccountStatus.REVOKED))

    def bulk_create() -> None:
        TikTokAccount.objects.bulk_create(
            [
                TikTokAccountFactory.build(user=bob, follower_count=5),
                TikTokAccountFactory.build(user=bob, status=AccountStatus.ERROR),
                TikTokAccountFactory.build(user=bob, is_deleted=True, follower_count=10**6),
            ]
        )

    def save_counts() -> None:
        made[0].follower_count += 100
        made[0].likes_count -= 3
        made[0].save()

    def save_unchanged() -> None:  # every column written, none of them changed
        made[0].save()

    def save_status() -> None:
        made[1].status = AccountStatus.ERROR
        made[1].save(update_fields=["status"])

    def inactive_to_inactive() -> None:  # error -> revoked: the totals do not move
        TikTokAccount.objects.filter(pk=made[1].pk).update(status=AccountStatus.REVOKED)

    def soft_delete() -> None:
        account_delete(account=made[2], meta=RequestMeta())

    def restore() -> None:
        made[2].refresh_from_db()
        assert account_restore(account=made[2], meta=RequestMeta(), actor="ops")

    def update_counts() -> None:
        TikTokAccount.objects.update(video_count=F("video_count") + 2)

    def update_status() -> None:  # one active row changes its totals, one in error does not
        TikTokAccount.objects.filter(workspace=bobs).update(status=AccountStatus.TOKEN_EXPIRED)

    def update_deleted() -> None:  # a soft-deleted row counts for nothing
        TikTokAccount.all_objects.filter(is_deleted=True).update(
            follower_count=F("follower_count") + 1
        )

    def refresh_lease() -> None:  # the token lifecycle's writes touch no total
        TikTokAccount.objects.update(
            refresh_lock_until=timezone.now() + timedelta(minutes=1), token_version=7
        )

    def move() -> None:
        TikTokAccount.all_objects.filter(pk=made[0].pk).update(workspace_id=shared.id)

    def move_deleted() -> None:
        TikTokAccount.all_objects.filter(workspace=bobs, is_deleted=True).update(workspace=shared)

    def raw_sql() -> None:
        _raw_update(
            "likes_count = likes_count + 7, status = 'active' WHERE workspace_id = %s", [_ws(bobs)]
        )

    def hard_delete() -> None:
        TikTokAccount.all_objects.get(pk=made[3].pk).delete()

    def queryset_delete() -> None:
        TikTokAccount.all_objects.filter(workspace=bobs).delete()

    def workspace_delete() -> None:
        shared.delete()

    return [
        ("create", create, 4),
        ("bulk_create, a deleted row among them", bulk_create, 2),
        ("save() of counts", save_counts, 1),
        ("save() of unchanged counts", save_unchanged, 0),
        ("save() of the status", save_status, 1),
        ("update() of the status, error -> revoked", inactive_to_inactive, 0),
        ("update() of counts", update_counts, 6),
        ("update() of the status", update_status, 1),
        ("soft delete", soft_delete, 1),
        ("restore", restore, 1),
        ("update() of a soft-deleted row", update_deleted, 0),
        ("the refresh lease and token version", refresh_lease, 0),
        ("a move to another workspace", move, 2),
        ("a move of a soft-deleted row", move_deleted, 0),
        ("raw SQL", raw_sql, 2),
        ("hard delete", hard_delete, 1),
        ("queryset delete", queryset_delete, 2),
        ("cascade of a workspace", workspace_delete, None),
        ("cascade of a user", alice.delete, None),
    ]


@pytest.mark.parametrize("compacting", [False, True], ids=["parts", "compacted after each"])
def test_every_kind_of_write_keeps_the_summary_equal_to_the_rows(fake_tiktok, compacting) -> None:
    for what, write, inserts in _writes(fake_tiktok):
        before = _parts()
        write()
        if inserts is not None:
            assert _parts() - before == inserts, what
        assert_summaries_are_the_rows()
        if compacting:
            account_totals_compact()
            assert set(parts_per_workspace().values()) <= {1}, what
            assert_summaries_are_the_rows()


def test_random_writes_and_compactions_keep_the_summary_equal_to_the_rows() -> None:
    """Two hundred writes drawn from a fixed seed over three workspaces, a compaction among
    them now and then; after each, every summary is its rows' aggregate."""
    draw = random.Random(20261207)
    workspaces = [personal_workspace(UserFactory()) for _ in range(2)]
    workspaces.append(Workspace.objects.create(name="Agency"))
    statuses = list(AccountStatus)

    def some(*, live: bool = False) -> TikTokAccount | None:
        rows = (TikTokAccount.objects if live else TikTokAccount.all_objects).order_by("id")
        return draw.choice(list(rows)) if rows.exists() else None

    def write() -> None:
        kind = draw.randrange(8)
        account = some(live=kind in (2, 3))
        if kind == 0 or account is None:
            TikTokAccountFactory(
                workspace=draw.choice(workspaces),
                status=draw.choice(statuses),
                follower_count=draw.randrange(10**9),
                is_deleted=draw.random() < 0.2,
            )
        elif kind == 1:
            account.follower_count = draw.randrange(10**10)
            account.video_count = draw.randrange(500)
            account.save()
        elif kind == 2:
            TikTokAccount.objects.filter(pk=account.pk).update(status=draw.choice(statuses))
        elif kind == 3:
            TikTokAccount.objects.filter(pk=account.pk).update(is_deleted=True)
        elif kind == 4:
            TikTokAccount.all_objects.filter(pk=account.pk).update(
                is_deleted=False, likes_count=F("likes_count") + draw.randrange(-5, 50)
            )
        elif kind == 5:
            TikTokAccount.all_objects.filter(pk=account.pk).update(
                workspace=draw.choice(workspaces)
            )
        elif kind == 6:
            account.delete()
        else:
            account_totals_compact()

    for _ in range(200):
        write()
        assert_summaries_are_the_rows()
    account_totals_compact()
    assert set(parts_per_workspace().values()) <= {1}
    assert_summaries_are_the_rows()


def test_a_token_refresh_and_an_unchanged_sync_insert_no_part(
    user, link_account, fake_tiktok
) -> None:
    account, _ = link_account(user)
    before = list(AccountTotalsPart.objects.values())

    assert account_refresh_token(account=account)
    account.refresh_from_db()
    account.set_profile({"follower_count": account.follower_count, "username": "renamed"})
    account.save(update_fields=["username", "follower_count", "search_text", "updated_at"])

    assert list(AccountTotalsPart.objects.values()) == before
    assert fake_tiktok.count("refresh") == 1
    assert_summaries_are_the_rows()


@pytest.mark.django_db(transaction=True)
def test_deleting_a_workspace_commits_and_leaves_none_of_its_parts() -> None:
    """Its accounts' deletes insert parts after Django deleted the workspace's: the workspace's
    trigger deletes them before the foreign key is checked, at commit."""
    user, other = UserFactory(), UserFactory()
    TikTokAccountFactory.create_batch(3, user=user)
    TikTokAccountFactory(user=other)

    user.delete()

    assert list(AccountTotalsPart.objects.values_list("workspace_id", flat=True)) == [
        personal_workspace(other).id
    ]
    assert_summaries_are_the_rows()


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_one_part_per_workspace_and_goes_back() -> None:
    before = [("tiktok_accounts", "0009_status_count_index")]
    old = _migrate(before).loader.project_state(before).apps
    workspaces = old.get_model("workspaces", "Workspace").objects
    accounts = old.get_model("tiktok_accounts", "TikTokAccount")._base_manager
    now = timezone.now()
    agency, empty = workspaces.create(name="Agency"), workspaces.create(name="Empty")
    for n, (status, deleted) in enumerate([("active", False), ("error", False), ("active", True)]):
        accounts.create(
            workspace=agency,
            open_id=f"open-{n}",
            status=status,
            is_deleted=deleted,
            follower_count=10**n,
            video_count=n,
            likes_count=100 + n,
            access_token="",
            refresh_token="",
            access_token_expires_at=now,
            refresh_token_expires_at=now,
        )
    try:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
        assert list(AccountTotalsPart.objects.values_list("workspace_id", flat=True)) == [agency.id]
        assert account_summary(workspace_id=agency.id) == {
            "total_accounts": 2,
            "active_accounts": 1,
            "total_followers": 11,
            "total_videos": 1,
            "total_likes": 201,
        }
        assert account_summary(workspace_id=empty.id) == dict.fromkeys(SUMMARY_KEYS, 0)

        _migrate(before)
        assert "tiktok_accounts_accounttotalspart" not in connection.introspection.table_names()
        # No trigger is left to write the dropped table.
        accounts.filter(workspace=agency).update(follower_count=5, is_deleted=False)
        workspaces.filter(pk=empty.pk).delete()
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert_summaries_are_the_rows()


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection)  # a fresh graph: the state reached
