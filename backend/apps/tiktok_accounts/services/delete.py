"""Soft delete (the user's) and restore (ops staff's, from the admin)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.models import AuditAction
from apps.audit.services import RequestMeta
from apps.events.models import EventType
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.tiktok_accounts.models.status_events import account_event_emit
from apps.tiktok_accounts.services.store import account_store
from apps.tiktok_accounts.services.tokens import revoke_quietly


def account_delete(*, account: TikTokAccount, meta: RequestMeta) -> None:
    """Soft delete; the token is revoked at TikTok first, best effort (a failure never blocks)."""
    revoke = revoke_quietly(account.access_token, context=f"delete of account {account.pk}")
    with transaction.atomic():
        account.is_deleted, account.deleted_at = True, timezone.now()
        fields = ["is_deleted", "deleted_at", "updated_at"]
        if revoke == "revoked":
            account.status = AccountStatus.REVOKED
            fields.append("status")
        account_store(
            account=account,
            fields=fields,
            action=AuditAction.DELETE,
            meta=meta,
            metadata={"revoke": revoke},
        )
        account_event_emit(account=account, type=EventType.ACCOUNT_DELETED)


@transaction.atomic
def account_restore(*, account: TikTokAccount, meta: RequestMeta, actor: str) -> bool:
    """Undoes a soft delete (ops staff, from the admin). False when a live twin exists."""
    if not account.is_deleted:
        return False
    if TikTokAccount.objects.filter(
        workspace_id=account.workspace_id, open_id=account.open_id
    ).exists():
        return False
    account.is_deleted, account.deleted_at = False, None
    try:
        with transaction.atomic():
            account_store(
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
