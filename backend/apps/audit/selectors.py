"""Reads of the audit trail: the caller's own entries, newest first."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser

from apps.audit.models import AuditLog
from apps.core.cursor import Page, keyset_page


def audit_log_page(
    *,
    user: AbstractBaseUser,
    limit: int,
    cursor: str | None = None,
    resource_id: uuid.UUID | None = None,
) -> Page[AuditLog]:
    queryset = AuditLog.objects.filter(user=user)
    if resource_id:
        queryset = queryset.filter(resource_id=resource_id)
    return keyset_page(
        queryset,
        limit=limit,
        cursor=cursor,
        user_id=user.pk,
        listing="audit-logs",
        filters={"resource_id": str(resource_id or "")},
    )
