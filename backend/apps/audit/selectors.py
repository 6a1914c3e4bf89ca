"""Reads of the audit trail: the caller's own entries, newest first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from apps.audit.models import AuditLog
from apps.core.cursor import keyset_page


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditLog]
    next_cursor: str | None

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None


def audit_log_page(
    *,
    user: AbstractBaseUser,
    limit: int,
    cursor: str | None = None,
    resource_id: uuid.UUID | None = None,
) -> AuditPage:
    queryset = AuditLog.objects.filter(user=user)
    if resource_id:
        queryset = queryset.filter(resource_id=resource_id)
    items, next_cursor = keyset_page(
        queryset,
        limit=limit,
        cursor=cursor,
        user_id=user.pk,
        listing="audit-logs",
        filters={"resource_id": str(resource_id or "")},
    )
    return AuditPage(items=items, next_cursor=next_cursor)
