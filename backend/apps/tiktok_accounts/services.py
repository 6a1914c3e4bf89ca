"""Writes on TikTok accounts: connect, token refresh, sync (single and batch), delete, restore.

Rules that shape this module:
- TikTok rotates refresh tokens, so at most one refresh per account runs at a time, across
  threads and processes: a short lease on the row (`refresh_lock_until`), taken with one
  conditional UPDATE, works the same on PostgreSQL and SQLite and never holds a transaction
  open during an HTTP call. Tokens TikTok issued are written the moment they arrive.
- Batch sync: worker threads do HTTP only (they touch the database solely to refresh a token,
  and then close their connection); the calling thread reads every account in one query and
  writes every result with one bulk_update and one audit insert.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import secrets
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.audit.models import AuditAction
from apps.audit.services import AuditEntry, RequestMeta, audit_record
from apps.core.errors import (
    AccountNotFound,
    ApplicationError,
    InternalError,
    InvalidState,
    ReauthRequired,
    ScopesDenied,
    TikTokRateLimited,
    TikTokTimeout,
    TikTokUpstreamError,
)
from apps.tiktok_accounts import client
from apps.tiktok_accounts.exceptions import (
    AccessTokenInvalidError,
    AuthorizationCodeInvalidError,
    RefreshTokenInvalidError,
    ScopeNotAuthorizedError,
    TikTokError,
    TikTokRateLimitError,
    TikTokTimeoutError,
)
from apps.tiktok_accounts.fields import TokenUnreadableError
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.tiktok_accounts.models.tiktok_account_model import PROFILE_FIELDS
from apps.tiktok_accounts.selectors import summary_invalidate

logger = logging.getLogger(__name__)

OAUTH_STATE_TTL_SECONDS = 600
DEAD_GRANT_STATUSES = (AccountStatus.TOKEN_EXPIRED, AccountStatus.REVOKED)
# What a failed sync leaves exactly as the database has it.
KEPT_ON_FAILURE = (*PROFILE_FIELDS, "search_text", "status", "last_synced_at")
# Written by every sync, whatever its outcome; kept short so one UPDATE fits 50 rows on SQLite.
SYNC_WRITE_FIELDS = (*KEPT_ON_FAILURE, "last_sync_error", "updated_at")


def tiktok_error_to_api(exc: Exception) -> ApplicationError:
    """The contract's answer for a TikTok failure (and for a token we cannot decrypt)."""
    if isinstance(exc, TikTokTimeoutError):
        return TikTokTimeout()
    if isinstance(exc, TikTokRateLimitError):
        return TikTokRateLimited(retry_after=exc.retry_after)
    if isinstance(exc, AccessTokenInvalidError | RefreshTokenInvalidError):
        return ReauthRequired()
    if isinstance(exc, ScopeNotAuthorizedError):
        return ReauthRequired(
            "TikTok no longer grants the permissions this service needs; reconnect the account."
        )
    if isinstance(exc, TikTokError):
        return TikTokUpstreamError()
    return InternalError()


# --- Connect ----------------------------------------------------------------------------------


def _state_key(user_id: object, state: str) -> str:
    # Hashed: whatever a client sends as `state`, the key stays short and valid for any cache.
    return f"oauth-state:{user_id}:{hashlib.sha256(state.encode()).hexdigest()}"


def account_connect_start(*, user: AbstractBaseUser) -> tuple[str, str]:
    """Returns (authorize_url, state); the state lives in the shared cache, bound to `user`."""
    state = secrets.token_urlsafe(32)
    expires = time.time() + OAUTH_STATE_TTL_SECONDS
    cache.set(_state_key(user.pk, state), expires, timeout=OAUTH_STATE_TTL_SECONDS)
    return client.build_authorize_url(state=state), state


def _state_consume(*, user: AbstractBaseUser, state: str) -> None:
    key = _state_key(user.pk, state)
    expires = cache.get(key)
    # delete() is atomic: of two concurrent completes with one state, only one sees True.
    if expires is None or not cache.delete(key) or expires < time.time():
        raise InvalidState


def account_connect_complete(
    *, user: AbstractBaseUser, code: str, state: str, meta: RequestMeta
) -> tuple[TikTokAccount, bool]:
    """Returns (account, created). A reconnect of the same TikTok user updates its row."""
    _state_consume(user=user, state=state)
    try:
        grant = client.exchange_code(code=code)
    except AuthorizationCodeInvalidError:
        raise InvalidState("TikTok refused this authorization code; start again.") from None
    except TikTokError as exc:
        raise tiktok_error_to_api(exc) from exc
    if not set(settings.TIKTOK_SCOPES) <= set(grant.scopes):
        _revoke_quietly(grant.access_token, context="scopes denied at connect")
        raise ScopesDenied
    try:
        profile = client.get_user_info(access_token=grant.access_token)
    except TikTokError as exc:
        # Nothing is stored, so nothing could ever use or revoke this grant later.
        _revoke_quietly(grant.access_token, context="profile fetch failed at connect")
        raise tiktok_error_to_api(exc) from exc
    try:
        return _connection_store(user=user, grant=grant, profile=profile, meta=meta)
    except IntegrityError:
        # A concurrent complete for the same TikTok user inserted first: update that row.
        return _connection_store(user=user, grant=grant, profile=profile, meta=meta)


@transaction.atomic
def _connection_store(
    *, user: AbstractBaseUser, grant: client.TokenGrant, profile: client.UserInfo, meta: RequestMeta
) -> tuple[TikTokAccount, bool]:
    account = (
        TikTokAccount.all_objects.select_for_update()
        .filter(user=user, open_id=grant.open_id)
        .order_by("is_deleted", "-created_at")
        .first()
    )
    created = account is None
    if account is None:
        account = TikTokAccount(user=user, open_id=grant.open_id)
    account.set_tokens(
        access_token=grant.access_token,
        refresh_token=grant.refresh_token,
        expires_in=grant.expires_in,
        refresh_expires_in=grant.refresh_expires_in,
    )
    changes = account.set_profile(profile.model_dump())
    account.union_id = profile.union_id
    account.scopes = sorted(grant.scopes)
    account.status = AccountStatus.ACTIVE
    account.is_deleted, account.deleted_at = False, None
    account.last_synced_at, account.last_sync_error = timezone.now(), None
    _account_store(
        account=account,
        action=AuditAction.CONNECT if created else AuditAction.RECONNECT,
        meta=meta,
        changes=changes,
        metadata={"open_id": account.open_id, "scopes": account.scopes},
    )
    return account, created


def _account_store(
    *,
    account: TikTokAccount,
    action: AuditAction,
    meta: RequestMeta,
    fields: list[str] | None = None,
    changes: dict[str, Any] | None = None,
    metadata: dict[str, Any],
) -> None:
    """Saves one account's change with its audit entry; the summary follows on commit."""
    account.save(update_fields=fields)
    audit_record(
        AuditEntry(
            user_id=account.user_id,
            action=action,
            resource_id=account.id,
            meta=meta,
            changes=changes or {},
            metadata=metadata,
        )
    )
    summary_invalidate(user_id=account.user_id)


def _revoke_quietly(access_token: str, *, context: str) -> str:
    """Best effort: returns "revoked" or the failure's code; never raises."""
    try:
        client.revoke_token(access_token=access_token)
    except (TikTokError, TokenUnreadableError) as exc:
        code = tiktok_error_to_api(exc).code
        logger.warning(
            "TikTok revoke failed (%s): %s",
            context,
            code,
            extra={"log_id": getattr(exc, "log_id", None)},
        )
        return code
    return "revoked"


# --- Token refresh ------------------------------------------------------------------------------


def _lease_seconds() -> float:
    # Longer than one refresh call can take, so a lease only lapses when its holder died.
    return settings.TIKTOK_TIMEOUT_SECONDS * 2 + 5


def account_refresh_token(*, account: TikTokAccount) -> None:
    """Makes `account` hold a token newer than the one it was loaded with.

    Exactly one caller per account refreshes; the others wait for it and adopt the token it
    stored. Must run outside any transaction, so the lease and the tokens are visible at once.
    """
    seen = account.token_version
    deadline = time.monotonic() + _lease_seconds()
    while True:
        now = timezone.now()
        won = (
            TikTokAccount.all_objects.filter(pk=account.pk, token_version=seen)
            .filter(Q(refresh_lock_until__isnull=True) | Q(refresh_lock_until__lt=now))
            .update(refresh_lock_until=now + timedelta(seconds=_lease_seconds()))
        )
        if won:
            break
        current = TikTokAccount.all_objects.get(pk=account.pk)
        if current.token_version != seen:
            _adopt_tokens(account, current)
            return
        if current.status in DEAD_GRANT_STATUSES:
            account.status = current.status
            raise RefreshTokenInvalidError(
                "Another worker found the grant dead.",
                revoked=current.status == AccountStatus.REVOKED,
            )
        if time.monotonic() > deadline:
            raise TikTokTimeoutError("Timed out waiting for another token refresh.")
        time.sleep(0.05)
    try:
        grant = client.refresh_access_token(refresh_token=account.refresh_token)
    except RefreshTokenInvalidError as exc:
        account.status = AccountStatus.REVOKED if exc.revoked else AccountStatus.TOKEN_EXPIRED
        # Conditional: a newer token stored meanwhile (e.g. a reconnect) keeps the account alive.
        TikTokAccount.all_objects.filter(pk=account.pk, token_version=seen).update(
            status=account.status, refresh_lock_until=None
        )
        raise
    except BaseException:
        TikTokAccount.all_objects.filter(pk=account.pk, token_version=seen).update(
            refresh_lock_until=None
        )
        raise
    account.set_tokens(
        access_token=grant.access_token,
        refresh_token=grant.refresh_token,
        expires_in=grant.expires_in,
        refresh_expires_in=grant.refresh_expires_in,
    )
    # Rotated tokens are stored together, in one statement, the moment TikTok issues them.
    TikTokAccount.all_objects.filter(pk=account.pk).update(
        access_token=account.access_token,
        refresh_token=account.refresh_token,
        access_token_expires_at=account.access_token_expires_at,
        refresh_token_expires_at=account.refresh_token_expires_at,
        token_version=account.token_version,
        refresh_lock_until=None,
    )


def _adopt_tokens(account: TikTokAccount, current: TikTokAccount) -> None:
    for name in (
        "access_token",
        "refresh_token",
        "access_token_expires_at",
        "refresh_token_expires_at",
        "token_version",
        "status",
    ):
        setattr(account, name, getattr(current, name))


# --- Sync ---------------------------------------------------------------------------------------


@dataclass
class SyncOutcome:
    account: TikTokAccount
    profile: client.UserInfo | None = None
    error: ApplicationError | None = None
    token_refreshed: bool = False


def _profile_fetch(account: TikTokAccount) -> SyncOutcome:
    """TikTok calls for one sync: refresh first when needed, one retry on a rejected token."""
    outcome = SyncOutcome(account=account)
    try:
        if account.status in DEAD_GRANT_STATUSES:
            raise ReauthRequired
        if account.access_token_expiring():
            account_refresh_token(account=account)
            outcome.token_refreshed = True
        try:
            outcome.profile = client.get_user_info(access_token=account.access_token)
        except AccessTokenInvalidError:
            if outcome.token_refreshed:
                raise
            account_refresh_token(account=account)
            outcome.token_refreshed = True
            outcome.profile = client.get_user_info(access_token=account.access_token)
    except AccessTokenInvalidError as exc:
        # Rejected right after a successful refresh: the grant itself is dead.
        account.status = AccountStatus.TOKEN_EXPIRED
        TikTokAccount.all_objects.filter(pk=account.pk, token_version=account.token_version).update(
            status=account.status
        )
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
    return outcome


def _profile_fetch_in_worker(account: TikTokAccount) -> SyncOutcome:
    try:
        return _profile_fetch(account)
    finally:
        # Only a token refresh opens a connection here; never leave it to the thread's death.
        connection.close()


def _outcomes_store(
    *, user_id: int, outcomes: Iterable[SyncOutcome], meta: RequestMeta, batch: bool
) -> None:
    """One UPDATE for every account and one INSERT for every audit entry, whatever the count."""
    now = timezone.now()
    accounts, entries = [], []
    for outcome in outcomes:
        account, metadata = outcome.account, {"token_refreshed": outcome.token_refreshed}
        changes: dict[str, Any] = {}
        if batch:
            metadata["batch"] = True
        if outcome.profile is not None:
            changes = account.set_profile(outcome.profile.model_dump())
            account.status, account.last_synced_at, account.last_sync_error = (
                AccountStatus.ACTIVE,
                now,
                None,
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
                user_id=user_id,
                action=AuditAction.SYNC,
                resource_id=account.id,
                meta=meta,
                changes=changes,
                metadata=metadata,
            )
        )
    with transaction.atomic():
        TikTokAccount.all_objects.bulk_update(accounts, SYNC_WRITE_FIELDS)
        audit_record(*entries)
        summary_invalidate(user_id=user_id)


def account_sync(*, account: TikTokAccount, meta: RequestMeta) -> TikTokAccount:
    """Fetches the profile from TikTok and stores it; raises the contract's error on failure."""
    outcome = _profile_fetch(account)
    _outcomes_store(user_id=account.user_id, outcomes=[outcome], meta=meta, batch=False)
    if outcome.error is not None:
        raise outcome.error
    return account


@dataclass
class BatchFailure:
    id: uuid.UUID
    code: str
    detail: str


def account_batch_sync(
    *, user: AbstractBaseUser, account_ids: list[uuid.UUID], meta: RequestMeta
) -> tuple[list[TikTokAccount], list[BatchFailure]]:
    """Syncs the caller's accounts in parallel within BATCH_SYNC_TIMEOUT_SECONDS."""
    ids = list(dict.fromkeys(account_ids))
    accounts = {a.id: a for a in TikTokAccount.objects.filter(user=user, id__in=ids)}
    outcomes: dict[uuid.UUID, SyncOutcome] = {}
    if accounts:
        workers = min(settings.BATCH_SYNC_MAX_WORKERS, len(accounts))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="batch-sync")
        # Each worker gets its own copy: one still running after the deadline never races the
        # main thread over the instance it writes.
        futures = {
            pool.submit(_profile_fetch_in_worker, copy.copy(a)): a for a in accounts.values()
        }
        done, _ = wait(futures, timeout=settings.BATCH_SYNC_TIMEOUT_SECONDS)
        pool.shutdown(wait=False, cancel_futures=True)
        for future, account in futures.items():
            late = SyncOutcome(account=account, error=TikTokTimeout())
            outcomes[account.id] = future.result() if future in done else late
        _outcomes_store(user_id=user.pk, outcomes=outcomes.values(), meta=meta, batch=True)
    succeeded, failed = [], []
    for account_id in ids:
        outcome = outcomes.get(account_id)
        error = AccountNotFound() if outcome is None else outcome.error
        if error is None:
            succeeded.append(outcome.account)
        else:
            failed.append(BatchFailure(id=account_id, code=error.code, detail=error.detail))
    return succeeded, failed


# --- Delete and restore ------------------------------------------------------------------------


def account_delete(*, account: TikTokAccount, meta: RequestMeta) -> None:
    """Soft delete; the token is revoked at TikTok first, best effort (a failure never blocks)."""
    revoke = _revoke_quietly(account.access_token, context=f"delete of account {account.pk}")
    with transaction.atomic():
        account.is_deleted, account.deleted_at = True, timezone.now()
        fields = ["is_deleted", "deleted_at", "updated_at"]
        if revoke == "revoked":
            account.status = AccountStatus.REVOKED
            fields.append("status")
        _account_store(
            account=account,
            fields=fields,
            action=AuditAction.DELETE,
            meta=meta,
            metadata={"revoke": revoke},
        )


@transaction.atomic
def account_restore(*, account: TikTokAccount, meta: RequestMeta, actor: str) -> bool:
    """Undoes a soft delete (ops staff, from the admin). False when a live twin exists."""
    if not account.is_deleted:
        return False
    if TikTokAccount.objects.filter(user_id=account.user_id, open_id=account.open_id).exists():
        return False
    account.is_deleted, account.deleted_at = False, None
    try:
        with transaction.atomic():
            _account_store(
                account=account,
                fields=["is_deleted", "deleted_at", "updated_at"],
                action=AuditAction.RESTORE,
                meta=meta,
                metadata={"by_staff": actor},
            )
    except IntegrityError:  # the same TikTok user was reconnected since the check above
        account.is_deleted = True
        return False
    return True
