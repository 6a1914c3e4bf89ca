"""Every write of a TikTokAccount row makes its workspace's cached reads stale when it commits.

The cached list pages and summary (read_cache) show account rows. Left to each write path,
the invalidation was forgotten (issue 17: a content route marked an account `token_expired`
and the list kept showing it `active`), so the model does it, for every way the ORM writes:
- `save()` and `create()` (connect, delete, restore, the admin), instance, queryset and
  cascade deletes: post_save and post_delete, which Django sends per row, from a cascade too
  (an overridden `save`/`delete` misses the cascade of a deleted workspace). Connected in
  TikTokAccountsConfig.ready.
- `QuerySet.update()`, `bulk_update()`, `bulk_create()` send no signal: AccountQuerySet, the
  queryset of both managers (so of `workspace.tiktok_accounts` too), overrides them.

Cost: the `bulk_*` writes know their rows' owners. `update()` learns them with one SELECT of
the distinct owners (workspaces), then updates only those owners' rows
(`AND workspace_id IN (...)`), so no row
changes unless its owner is invalidated, even if a concurrent write makes another row match
in between; nothing matched, no UPDATE is sent. A write of token fields only (the refresh
lease, a refresh, the key rotation: the frequent writes) changes no read and skips all this.
Each write statement stores one new reads version per owner at commit (nothing on rollback),
all in one Redis round trip; the read path is untouched (still one round trip). Deduplicating
across the statements of a transaction would save nothing today (every path writes a workspace's
accounts once per transaction; only a delete of many rows, signalled per row, repeats) and
would need Django's private on-commit list, whose callbacks captureOnCommitCallbacks only
partly runs.

No path moves an account to another owner; one that did would leave the other owner's reads
to expire (READ_CACHE_TTL_SECONDS). Raw SQL bypasses all this: no module writes the table that
way (tests/test_stale_reads.py scans for any; the live-count migration only names it in its
triggers).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.db import models, transaction

from apps.tiktok_accounts.models.status_events import (
    STATUS,
    status_changes_emit,
    statuses_locked,
)
from apps.tiktok_accounts.read_cache import account_reads_invalidate

if TYPE_CHECKING:
    from apps.tiktok_accounts.models.account import TikTokAccount

# The fields of the token lifecycle: no cached read shows them (tests/test_stale_reads.py).
UNREAD_FIELDS = frozenset(
    {
        "access_token",
        "refresh_token",
        "access_token_expires_at",
        "refresh_token_expires_at",
        "token_version",
        "refresh_lock_until",
        "sync_lease_until",
    }
)
# Whose cached reads an account shows in (see reads_owners).
READS_OWNER = "workspace_id"

# Set while bulk_update runs its UPDATEs: it knows its owners, so update() need not look.
_owners_known: ContextVar[bool] = ContextVar("stale_reads_owners_known", default=False)


def reads_owners(accounts: Iterable[TikTokAccount]) -> set[Any]:
    """Whose cached reads show these accounts: their workspaces'. The one place that decides
    it (with READS_OWNER and read_cache's keys). A queryset costs one SELECT."""
    if isinstance(accounts, models.QuerySet):
        owners = accounts.order_by().values_list(READS_OWNER, flat=True).distinct()
        return set(owners)
    return {getattr(account, READS_OWNER) for account in accounts}


def _shown(fields: Iterable[str]) -> bool:
    """True unless every field written is one no read shows."""
    return not set(fields) <= UNREAD_FIELDS


class AccountQuerySet(models.QuerySet["TikTokAccount"]):
    """The ORM's writes that send no signal, each making its rows' owners' reads stale; a
    write of the status also emits its changes (status_events)."""

    def update(self, **kwargs: Any) -> int:
        if not _shown(kwargs) or _owners_known.get():
            return super().update(**kwargs)
        if STATUS in kwargs:
            return self._status_update(kwargs)
        owners = reads_owners(self)
        if not owners:
            return 0
        owned = self.filter(**{f"{READS_OWNER}__in": owners})
        rows = super(AccountQuerySet, owned).update(**kwargs)
        if rows:
            account_reads_invalidate(workspace_ids=owners)
        return rows

    def _status_update(self, kwargs: dict[str, Any]) -> int:
        """update() of the status: the rows it will write are locked and read first (their
        owners and old status), then exactly those rows are written."""
        with transaction.atomic():
            before = statuses_locked(self)
            if not before:
                return 0
            rows = super(AccountQuerySet, self.filter(pk__in=before)).update(**kwargs)
            if rows:
                owners = {row[READS_OWNER] for row in before.values()}
                account_reads_invalidate(workspace_ids=owners)
                status_changes_emit(self.model, before, written=kwargs)
        return rows

    def bulk_update(
        self, objs: Iterable[TikTokAccount], fields: Sequence[str], batch_size: int | None = None
    ) -> int:
        objs = list(objs)
        watched = STATUS in fields
        with transaction.atomic() if watched else nullcontext():
            before = {}
            if watched:
                before = statuses_locked(self.filter(pk__in=[obj.pk for obj in objs]))
            known = _owners_known.set(True)
            try:
                rows = super().bulk_update(objs, fields, batch_size=batch_size)
            finally:
                _owners_known.reset(known)
            if before:
                status_changes_emit(self.model, before)
        if rows and _shown(fields):
            account_reads_invalidate(workspace_ids=reads_owners(objs))
        return rows

    def bulk_create(self, objs: Iterable[TikTokAccount], *args: Any, **kwargs: Any) -> Any:
        created = super().bulk_create(objs, *args, **kwargs)
        account_reads_invalidate(workspace_ids=reads_owners(created))
        return created


AccountManager = models.Manager.from_queryset(AccountQuerySet)


def account_row_written(
    sender: type, instance: TikTokAccount, update_fields: Any = None, **kwargs: Any
) -> None:
    """post_save / post_delete receiver of TikTokAccount (a delete has no update_fields)."""
    if update_fields is None or _shown(update_fields):
        account_reads_invalidate(workspace_ids=reads_owners([instance]))
