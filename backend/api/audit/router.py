"""`/api/audit-logs`: the caller's own audit trail."""

import uuid
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from api.round_trip import user_rate_limit
from apps.audit.selectors import audit_log_page
from apps.core.errors import READ_ERRORS

router = Router(tags=["audit log"])


class AuditLogOut(Schema):
    id: uuid.UUID
    action: str
    resource_type: str
    resource_id: uuid.UUID | None
    changes: dict[str, Any]
    metadata: dict[str, Any]
    ip_address: str | None
    created_at: datetime


class AuditLogPageOut(Schema):
    items: list[AuditLogOut]
    next_cursor: str | None
    has_more: bool


class AuditLogQuery(Schema):
    limit: int = Field(20, ge=1, le=50)
    cursor: str | None = Field(None, max_length=512)
    resource_id: uuid.UUID | None = None


@router.get(
    "",
    response={200: AuditLogPageOut, **READ_ERRORS},
    summary="List my audit log entries",
)
@user_rate_limit("read")
def audit_log_list(request: HttpRequest, query: Query[AuditLogQuery]) -> Any:
    return audit_log_page(user=request.auth, **query.dict())
