"""An account's token lifecycle: the one-refresh-per-account lease, calls with a fresh token,
and best-effort revocation.

TikTok rotates refresh tokens, so at most one refresh per account runs at a time, across
threads and processes: a short lease on the row (`refresh_lock_until`), taken with one
conditional UPDATE, works the same on PostgreSQL and SQLite and never holds a transaction
open during an HTTP call. Tokens TikTok issued are written the moment they arrive.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from apps.core.fields import TokenUnreadableError
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.tiktok_accounts.services.errors import tiktok_error_to_api
from integrations.tiktok import client
from integrations.tiktok.errors import (
    AccessTokenInvalidError,
    RefreshTokenInvalidError,
    TikTokError,
    TikTokTimeoutError,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")

DEAD_GRANT_STATUSES = (AccountStatus.TOKEN_EXPIRED, AccountStatus.REVOKED)


def _lease_seconds() -> float:
    # Longer than one refresh call can take, so a lease only lapses when its holder died.
    return settings.TIKTOK_TIMEOUT_SECONDS * 2 + 5


def account_refresh_token(*, account: TikTokAccount) -> bool:
    """Makes `account` hold a token newer than the one it was loaded with.

    Exactly one caller per account refreshes; the others wait for it and adopt the token it
    stored. Must run outside any transaction, so the lease and the tokens are visible at once.
    Returns True for the caller that called TikTok, False for one that adopted.
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
            return False
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
    return True


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


def call_with_fresh_token(account: TikTokAccount, call: Callable[[str], T]) -> T:
    """`call(access_token)` under the token rules every TikTok call on an account follows.

    Refresh first when the token is about to expire, once more when TikTok rejects it; a token
    rejected right after a refresh means the grant itself is dead (stored as TOKEN_EXPIRED).
    Raises the client's own errors. `account.token_version` moves on with every token adopted
    or refreshed, so a caller can tell whether one was.
    """
    refreshed = False
    try:
        if account.access_token_expiring():
            account_refresh_token(account=account)
            refreshed = True
        try:
            return call(account.access_token)
        except AccessTokenInvalidError:
            if refreshed:
                raise
            account_refresh_token(account=account)
            return call(account.access_token)
    except AccessTokenInvalidError:
        # Rejected right after a successful refresh: the grant itself is dead.
        account.status = AccountStatus.TOKEN_EXPIRED
        TikTokAccount.all_objects.filter(pk=account.pk, token_version=account.token_version).update(
            status=account.status
        )
        raise


def revoke_quietly(access_token: str, *, context: str) -> str:
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
