"""Saving one account's change together with its audit entry (connect, delete, restore)."""

from __future__ import annotations

from typing import Any

from apps.audit.models import AuditAction
from apps.audit.services import AuditEntry, RequestMeta, audit_record
from apps.tiktok_accounts.models import TikTokAccount


def account_store(
    *,
    account: TikTokAccount,
    action: AuditAction,
    meta: RequestMeta,
    fields: list[str] | None = None,
    changes: dict[str, Any] | None = None,
    metadata: dict[str, Any],
) -> None:
    """Saves one account's change with its audit entry (cached reads go stale at commit:
    models.stale_reads)."""
    account.save(update_fields=fields)
    audit_record(
        AuditEntry(
            workspace_id=account.workspace_id,
            action=action,
            resource_id=account.id,
            meta=meta,
            changes=changes or {},
            metadata=metadata,
        )
    )
