"""Reads of the audit trail: the workspace's entries, newest first (`owner`: the cursor's
binding, apps.core.cursor)."""

from __future__ import annotations

import uuid

from apps.audit.models import AuditLog
from apps.core.cursor import Page, keyset_page


def audit_log_page(
    *,
    workspace_id: uuid.UUID,
    owner: str,
    limit: int,
    cursor: str | None = None,
    resource_id: uuid.UUID | None = None,
) -> Page[AuditLog]:
    queryset = AuditLog.objects.filter(workspace_id=workspace_id)
    if resource_id:
        queryset = queryset.filter(resource_id=resource_id)
    return keyset_page(
        queryset,
        limit=limit,
        cursor=cursor,
        owner=owner,
        listing="audit-logs",
        filters={"resource_id": str(resource_id or "")},
    )
