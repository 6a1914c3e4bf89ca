"""Reads of the audit trail: the caller's own entries, newest first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q

from apps.audit.models import AuditLog
from apps.core.cursor import Position, cursor_decode, cursor_encode


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
    filters = {"resource_id": str(resource_id or "")}
    bound = {"user_id": user.pk, "listing": "audit-logs", "filters": filters}
    queryset = AuditLog.objects.filter(user=user)
    if resource_id:
        queryset = queryset.filter(resource_id=resource_id)
    if cursor:
        after = cursor_decode(cursor, **bound)
        queryset = queryset.filter(
            Q(created_at__lt=after.created_at) | Q(created_at=after.created_at, id__lt=after.id)
        )
    rows = list(queryset.order_by("-created_at", "-id")[: limit + 1])
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        next_cursor = cursor_encode(Position(items[-1].created_at, items[-1].id), **bound)
    return AuditPage(items=items, next_cursor=next_cursor)
