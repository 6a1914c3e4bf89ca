"""Syncing profiles from TikTok: one account on request, a batch in parallel.

Batch sync: worker threads do HTTP only (they touch the database solely to refresh a token,
and then close their connection); the calling thread reads every account in one query and
writes every result with one bulk_update and one audit insert. The background sync
(`bulk_sync.py`) is built from the same `profile_fetch_in_worker` and `outcomes_store`.
"""

from __future__ import annotations

import copy
import logging
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from apps.audit.models import AuditAction
from apps.audit.services import AuditEntry, RequestMeta, audit_record
from apps.core.errors import AccountNotFound, ApplicationError, ReauthRequired, TikTokTimeout
from apps.core.fields import TokenUnreadableError
from apps.history.services import history_record
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.tiktok_accounts.models.account import PROFILE_FIELDS
from apps.tiktok_accounts.services.errors import tiktok_error_to_api
from apps.tiktok_accounts.services.tokens import DEAD_GRANT_STATUSES, call_with_fresh_token
from integrations.tiktok import client
from integrations.tiktok.errors import (
    AccessTokenInvalidError,
    ScopeNotAuthorizedError,
    TikTokError,
)

logger = logging.getLogger(__name__)

# What a failed sync leaves exactly as the database has it.
KEPT_ON_FAILURE = (*PROFILE_FIELDS, "search_text", "status", "last_synced_at")
# Written by every sync, whatever its outcome; kept short so one UPDATE fits 50 rows on SQLite.
SYNC_WRITE_FIELDS = (*KEPT_ON_FAILURE, "last_sync_error", "updated_at")


@dataclass
class SyncOutcome:
    account: TikTokAccount
    profile: client.UserInfo | None = None
    error: ApplicationError | None = None
    token_refreshed: bool = False


def profile_fetch(account: TikTokAccount) -> SyncOutcome:
    """TikTok calls for one sync, under `call_with_fresh_token`'s token rules; never raises
    a TikTok error: the outcome carries the contract's error instead."""
    outcome = SyncOutcome(account=account)
    loaded_version = account.token_version
    try:
        if account.status in DEAD_GRANT_STATUSES:
            raise ReauthRequired
        outcome.profile = call_with_fresh_token(
            account, lambda token: client.get_user_info(access_token=token)
        )
    except AccessTokenInvalidError as exc:  # the grant is dead (already stored as such)
        outcome.error = tiktok_error_to_api(exc)
    except ScopeNotAuthorizedError as exc:
        account.status = AccountStatus.ERROR
        TikTokAccount.all_objects.filter(pk=account.pk).update(status=account.status)
        outcome.error = tiktok_error_to_api(exc)
    except ApplicationError as exc:
        outcome.error = exc
    except TokenUnreadableError as exc:
        logger.error("Account %s: stored token cannot be decrypted", account.pk)
        outcome.error = tiktok_error_to_api(exc)
    except TikTokError as exc:
        logger.warning(
            "Account %s: sync failed: %s",
            account.pk,
            type(exc).__name__,
            extra={"log_id": exc.log_id},
        )
        outcome.error = tiktok_error_to_api(exc)
    # A token refreshed (or adopted from a concurrent refresh) moves the version on.
    outcome.token_refreshed = account.token_version != loaded_version
    return outcome


def profile_fetch_in_worker(account: TikTokAccount) -> SyncOutcome:
    try:
        return profile_fetch(account)
    finally:
        # Only a token refresh opens a connection here; never leave it to the thread's death.
        connection.close()


def _unless_revoked(revoked: Any, otherwise: Any) -> Case:
    """`revoked` where the row is revoked when the UPDATE runs, else `otherwise`."""
    return Case(When(status=AccountStatus.REVOKED, then=revoked), default=otherwise)


def outcomes_store(
    *,
    outcomes: Iterable[SyncOutcome],
    meta: RequestMeta,
    batch: bool,
    extra: dict[str, Any] | None = None,
) -> None:
    """One UPDATE for every account and one INSERT for every audit entry, whatever the count.

    `extra` goes into every entry's metadata (a sync-all job's `job_id`).
    """
    now = timezone.now()
    accounts, entries = [], []
    outcomes_list = list(outcomes)
    for outcome in outcomes_list:
        account = outcome.account
        metadata = {"token_refreshed": outcome.token_refreshed, **(extra or {})}
        # The contract: a sync's `changes` is always this shape, empty when nothing changed.
        changes: dict[str, Any] = {"before": {}, "after": {}}
        if batch:
            metadata["batch"] = True
        if outcome.profile is not None:
            changes = account.set_profile(outcome.profile.model_dump())
            # A revocation that landed while TikTok answered (the webhook) is kept.
            account.status, account.last_synced_at, account.last_sync_error = (
                _unless_revoked(F("status"), Value(AccountStatus.ACTIVE)),
                now,
                _unless_revoked(F("last_sync_error"), Value(None)),
            )
            metadata["outcome"] = "succeeded"
        else:
            assert outcome.error is not None
            for name in KEPT_ON_FAILURE:
                setattr(account, name, F(name))
            account.last_sync_error = f"{outcome.error.code}: {outcome.error.detail}"[:255]
            metadata.update(outcome="failed", code=outcome.error.code)
        account.updated_at = now
        accounts.append(account)
        entries.append(
            AuditEntry(
                workspace_id=account.workspace_id,
                action=AuditAction.SYNC,
                resource_id=account.id,
                meta=meta,
                changes=changes,
                metadata=metadata,
            )
        )
    succeeded = [o.account for o in outcomes_list if o.profile is not None]
    with transaction.atomic():
        TikTokAccount.all_objects.bulk_update(accounts, SYNC_WRITE_FIELDS)
        audit_record(*entries)
        history_record(accounts=succeeded, at=now)
    for account in succeeded:  # what the caller renders: the sync's own result
        account.status, account.last_sync_error = AccountStatus.ACTIVE, None


def account_sync(*, account: TikTokAccount, meta: RequestMeta) -> TikTokAccount:
    """Fetches the profile from TikTok and stores it; raises the contract's error on failure."""
    outcome = profile_fetch(account)
    outcomes_store(outcomes=[outcome], meta=meta, batch=False)
    if outcome.error is not None:
        raise outcome.error
    return account


@dataclass
class BatchFailure:
    id: uuid.UUID
    code: str
    detail: str


def account_batch_sync(
    *, workspace_id: uuid.UUID, account_ids: list[uuid.UUID], meta: RequestMeta
) -> tuple[list[TikTokAccount], list[BatchFailure]]:
    """Syncs the workspace's accounts in parallel within BATCH_SYNC_TIMEOUT_SECONDS."""
    ids = list(dict.fromkeys(account_ids))
    live = TikTokAccount.objects.filter(workspace_id=workspace_id, id__in=ids)
    accounts = {a.id: a for a in live}
    outcomes: dict[uuid.UUID, SyncOutcome] = {}
    if accounts:
        workers = min(settings.BATCH_SYNC_MAX_WORKERS, len(accounts))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="batch-sync")
        # Each worker gets its own copy: one still running after the deadline never races the
        # main thread over the instance it writes.
        futures = {pool.submit(profile_fetch_in_worker, copy.copy(a)): a for a in accounts.values()}
        done, _ = wait(futures, timeout=settings.BATCH_SYNC_TIMEOUT_SECONDS)
        pool.shutdown(wait=False, cancel_futures=True)
        for future, account in futures.items():
            late = SyncOutcome(account=account, error=TikTokTimeout())
            outcomes[account.id] = future.result() if future in done else late
        outcomes_store(outcomes=outcomes.values(), meta=meta, batch=True)
    succeeded, failed = [], []
    for account_id in ids:
        outcome = outcomes.get(account_id)
        error = AccountNotFound() if outcome is None else outcome.error
        if error is None:
            succeeded.append(outcome.account)
        else:
            failed.append(BatchFailure(id=account_id, code=error.code, detail=error.detail))
    return succeeded, failed
