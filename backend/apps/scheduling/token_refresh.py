"""Tokens refreshed ahead of expiry, in the background (and by the refresh_tokens command).

Each refresh goes through the one-refresh-per-account lease (services.tokens), so a refresh
that a user's sync or another worker already made is adopted, not repeated.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import QuerySet

from apps.audit.models import AuditAction
from apps.audit.services import SYSTEM, AuditEntry, audit_record
from apps.core.fields import TokenUnreadableError
from apps.core.scan import keyset_batches
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.tiktok_accounts.models.account import token_refresh_horizon
from apps.tiktok_accounts.services.bulk_sync import RATE_LIMIT_RETRIES, parallel_map
from apps.tiktok_accounts.services.errors import tiktok_error_to_api
from apps.tiktok_accounts.services.tokens import account_refresh_token
from integrations.tiktok.errors import RefreshTokenInvalidError, TikTokError, TikTokRateLimitError


def refresh_due_accounts(ahead_seconds: int | None = None) -> QuerySet[TikTokAccount]:
    """Live active accounts whose access token expires within `ahead_seconds`
    (default TOKEN_REFRESH_AHEAD_SECONDS, the margin a sync uses too)."""
    return TikTokAccount.objects.filter(
        status=AccountStatus.ACTIVE,
        access_token_expires_at__lte=token_refresh_horizon(ahead_seconds),
    )


def refresh_due_id_batches() -> Iterator[list]:
    """The ids of `refresh_due_accounts()`, soonest expiry first, a batch at a time along the
    `tta_scan_token_expiry` index (apps.core.scan)."""
    return keyset_batches(refresh_due_accounts(), key="access_token_expires_at")


@dataclass
class RefreshResult:
    account: TikTokAccount
    # None: another worker refreshed it (and audits it).
    outcome: str | None = None
    retry_after: int | None = None
    # TikTok rate limited it and attempts remain: nothing was audited, try again later.
    retry: bool = False


def _account_refresh(account: TikTokAccount) -> RefreshResult:
    try:
        if not account_refresh_token(account=account):
            return RefreshResult(account)
        return RefreshResult(account, "succeeded")
    except RefreshTokenInvalidError:
        return RefreshResult(account, "reauth_required")
    except TikTokRateLimitError as exc:
        return RefreshResult(account, tiktok_error_to_api(exc).code, exc.retry_after)
    except (TikTokError, TokenUnreadableError) as exc:
        return RefreshResult(account, tiktok_error_to_api(exc).code)
    finally:
        connection.close()


def accounts_refresh_ahead(
    *, account_ids: Sequence[str], attempt: int, ahead_seconds: int | None = None
) -> list[RefreshResult]:
    """Refreshes the accounts still due, through the one-refresh-per-account lease.

    Every refresh writes one `token_refresh` entry with its outcome, except those TikTok rate
    limited while attempts remain (`retry`).
    """
    accounts = list(refresh_due_accounts(ahead_seconds).filter(id__in=account_ids))
    results = parallel_map(_account_refresh, accounts)
    for result in results:
        result.retry = result.retry_after is not None and attempt < RATE_LIMIT_RETRIES
    done = [r for r in results if r.outcome is not None and not r.retry]
    with transaction.atomic():
        audit_record(
            *(
                AuditEntry(
                    workspace_id=r.account.workspace_id,
                    action=AuditAction.TOKEN_REFRESH,
                    resource_id=r.account.id,
                    meta=SYSTEM,
                    metadata={"outcome": r.outcome},
                )
                for r in done
            )
        )
    return results
