"""Every ORM write of an account row makes its owner's cached reads stale at commit, and only
then (models.stale_reads); a new write path cannot bypass it.

transaction=True where a write must really commit: cached reads go stale when it does, as in
production. A cached read costs no SQL, so "still cached" is "served without a statement".
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.core import shared_cache
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.tiktok_accounts.models.stale_reads import UNREAD_FIELDS, AccountQuerySet
from testing.factories import TikTokAccountFactory, personal_workspace

LIST, SUMMARY = "/api/accounts", "/api/accounts/stats/summary"
BACKEND = Path(__file__).resolve().parents[3]


class Rollback(Exception):
    pass


def _rolled_back(write: Callable[[], object]) -> None:
    """Runs `write` in a transaction (a savepoint, inside one) that rolls back."""
    with contextlib.suppress(Rollback), transaction.atomic():
        write()
        raise Rollback


@dataclass
class Rows:
    """One user's live account and soft-deleted one, loaded afresh for each write."""

    live_id: object
    deleted_id: object

    def live(self) -> TikTokAccount:
        return TikTokAccount.all_objects.get(pk=self.live_id)

    def deleted(self) -> TikTokAccount:
        return TikTokAccount.all_objects.get(pk=self.deleted_id)


def _create(rows: Rows) -> None:
    TikTokAccountFactory(workspace=rows.live().workspace)


def _save(rows: Rows) -> None:
    account = rows.live()
    account.follower_count += 1
    account.save()


def _save_update_fields(rows: Rows) -> None:
    account = rows.live()
    account.status = AccountStatus.REVOKED
    account.save(update_fields=["status", "updated_at"])


def _soft_delete(rows: Rows) -> None:
    account = rows.live()
    account.is_deleted, account.deleted_at = True, timezone.now()
    account.save(update_fields=["is_deleted", "deleted_at"])


def _restore(rows: Rows) -> None:
    account = rows.deleted()
    account.is_deleted, account.deleted_at = False, None
    account.save()


def _delete(rows: Rows) -> None:
    rows.live().delete()


def _queryset_delete(rows: Rows) -> None:
    TikTokAccount.objects.filter(pk=rows.live_id).delete()


def _update(rows: Rows) -> None:
    TikTokAccount.objects.filter(pk=rows.live_id).update(status=AccountStatus.TOKEN_EXPIRED)


def _update_leaving_its_own_filter(rows: Rows) -> None:
    TikTokAccount.all_objects.filter(status=AccountStatus.ACTIVE).update(
        status=AccountStatus.REVOKED
    )


def _update_through_the_workspace(rows: Rows) -> None:
    rows.live().workspace.tiktok_accounts.update(video_count=F("video_count") + 1)


def _update_restore(rows: Rows) -> None:
    TikTokAccount.all_objects.filter(pk=rows.deleted_id).update(is_deleted=False, deleted_at=None)


def _bulk_update(rows: Rows) -> None:
    account = rows.live()
    account.likes_count += 1
    TikTokAccount.objects.bulk_update([account], ["likes_count"])


def _bulk_create(rows: Rows) -> None:
    TikTokAccount.objects.bulk_create([TikTokAccountFactory.build(workspace=rows.live().workspace)])


WRITES: list[Callable[[Rows], None]] = [
    _create,
    _save,
    _save_update_fields,
    _soft_delete,
    _restore,
    _delete,
    _queryset_delete,
    _update,
    _update_leaving_its_own_filter,
    _update_through_the_workspace,
    _update_restore,
    _bulk_update,
    _bulk_create,
]


def _reads(client) -> list[bytes]:
    return [client.get(url).content for url in (LIST, SUMMARY)]


def _cached(client) -> bool:
    """True when the list and the summary are both served from the cache (no SQL)."""
    with CaptureQueriesContext(connection) as queries:
        _reads(client)
    return not queries.captured_queries


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("shared_cache")
@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.__name__.removeprefix("_"))
def test_every_orm_write_makes_the_owners_reads_stale_at_commit_never_on_rollback(
    write, auth_client, other_client, user, other_user, settings
) -> None:
    rows = Rows(
        TikTokAccountFactory(user=user).pk,
        TikTokAccountFactory(user=user, is_deleted=True, deleted_at=timezone.now()).pk,
    )
    TikTokAccountFactory(user=other_user, status=AccountStatus.ERROR)
    _reads(auth_client)
    _reads(other_client)
    assert _cached(auth_client)
    assert _cached(other_client)

    _rolled_back(lambda: write(rows))
    assert _cached(auth_client)

    with transaction.atomic():
        write(rows)
        assert _cached(auth_client)  # not before the commit
    assert not _cached(auth_client)
    assert _cached(other_client)
    served = _reads(auth_client)
    settings.READ_CACHE_TTL_SECONDS = 0
    assert _reads(auth_client) == served  # what the cache serves now is the database's


@pytest.fixture
def stored(monkeypatch) -> list[list[str]]:
    """The keys of each on-commit store, one list per round trip."""
    calls: list[list[str]] = []
    monkeypatch.setattr(
        shared_cache, "cache_store", lambda *entries: calls.append(sorted(e.key for e in entries))
    )
    return calls


@pytest.mark.django_db(transaction=True)
def test_a_write_makes_each_owner_stale_once_in_one_round_trip(user, other_user, stored) -> None:
    mine = TikTokAccountFactory.create_batch(2, user=user)
    theirs = TikTokAccountFactory(user=other_user)
    stored.clear()  # the creations committed
    with transaction.atomic():
        _rolled_back(theirs.save)  # dropped with its savepoint
        TikTokAccount.objects.bulk_update([*mine, theirs], ["follower_count"])
        assert stored == []  # not before the commit
    TikTokAccount.objects.filter(workspace=personal_workspace(user)).update(
        status=AccountStatus.REVOKED
    )

    mine_key = f"reads-version:{personal_workspace(user).pk}"
    versions = sorted([mine_key, f"reads-version:{personal_workspace(other_user).pk}"])
    assert stored == [versions, [mine_key]]


@pytest.mark.django_db(transaction=True)
def test_token_writes_change_no_read_and_leave_the_cached_reads(
    auth_client, user, settings, stored
) -> None:
    settings.READ_CACHE_TTL_SECONDS = 0
    account = TikTokAccountFactory(user=user)
    before = _reads(auth_client)
    later = timezone.now() + timedelta(days=3)
    stored.clear()  # the creation committed
    with transaction.atomic():
        TikTokAccount.all_objects.filter(pk=account.pk).update(refresh_lock_until=later)
        account.access_token, account.refresh_token = "act.new", "rft.new"
        account.access_token_expires_at = account.refresh_token_expires_at = later
        account.token_version += 1
        account.save(update_fields=list(UNREAD_FIELDS - {"refresh_lock_until"}))
        TikTokAccount.objects.bulk_update([account], ["token_version"])

    assert stored == []
    assert _reads(auth_client) == before  # no read shows a token field


@pytest.mark.django_db
def test_an_update_learns_its_owners_in_one_select_and_a_token_write_in_none(user) -> None:
    account = TikTokAccountFactory(user=user)
    with CaptureQueriesContext(connection) as status_write:
        TikTokAccount.objects.filter(pk=account.pk).update(status=AccountStatus.REVOKED)
    with CaptureQueriesContext(connection) as token_write:
        TikTokAccount.all_objects.filter(pk=account.pk).update(token_version=9)
    with CaptureQueriesContext(connection) as bulk_write:
        TikTokAccount.objects.bulk_update([account], ["follower_count"])
    with CaptureQueriesContext(connection) as no_match:
        assert TikTokAccount.objects.filter(pk=account.pk, status="none").update(status="x") == 0

    # A status write: the rows locked and read (their owners, their old status), the UPDATE,
    # and the event of the change (models/status_events.py).
    select, update, event = (
        q["sql"] for q in status_write.captured_queries if "SAVEPOINT" not in q["sql"]
    )
    assert select.startswith("SELECT")
    assert update.startswith("UPDATE")
    assert event.startswith('INSERT INTO "events_event"')
    assert len(token_write) == len(bulk_write) == 1
    assert [q["sql"] for q in no_match.captured_queries if "SAVEPOINT" not in q["sql"]] == [
        no_match.captured_queries[1]["sql"]
    ]


def test_every_manager_of_an_account_writes_through_the_invalidating_queryset(db, user) -> None:
    managers = [*TikTokAccount._meta.managers, personal_workspace(user).tiktok_accounts]
    assert TikTokAccount._default_manager in managers
    assert TikTokAccount._base_manager in managers
    for manager in managers:
        assert isinstance(manager.all(), AccountQuerySet), manager


# SQL that writes the accounts table, named or built from `_meta.db_table`.
RAW_WRITE = re.compile(
    r"\b(UPDATE|INSERT\s+INTO|DELETE\s+FROM|REPLACE\s+INTO|MERGE\s+INTO|TRUNCATE)\b[^;]{0,120}?"
    rf"\b({TikTokAccount._meta.db_table}|db_table)\b",
    re.IGNORECASE,
)
# Its triggers (AFTER UPDATE ON the table) count rows in LiveAccountCount and write no account.
RAW_WRITERS_ALLOWED = {"apps/tiktok_accounts/migrations/0005_live_account_count.py"}


def test_no_module_writes_the_accounts_table_in_raw_sql() -> None:
    for sql in (
        "DELETE FROM tiktok_accounts_tiktokaccount WHERE id = %s",
        'f"UPDATE {quote(TikTokAccount._meta.db_table)} SET status = %s"',
        "INSERT INTO\n    tiktok_accounts_tiktokaccount (id, user_id) VALUES (%s, %s)",
    ):
        assert RAW_WRITE.search(sql), sql
    writers = {
        path.relative_to(BACKEND).as_posix()
        for path in BACKEND.rglob("*.py")
        if "tests" not in path.parts and RAW_WRITE.search(path.read_text(encoding="utf-8"))
    }
    # Raw SQL bypasses the ORM's invalidation: write through TikTokAccount's managers instead.
    assert writers == RAW_WRITERS_ALLOWED
