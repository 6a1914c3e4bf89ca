"""`/api/audit-logs`: the workspace's audit trail."""

import uuid
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Schema

from api.round_trip import user_rate_limit
from api.workspace_scope import WorkspaceRouter, requires
from apps.audit.selectors import audit_log_page
from apps.core.errors import READ_ERRORS
from apps.workspaces.models import Role

router = WorkspaceRouter(tags=["audit log"])


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
    summary="List the workspace's audit log entries",
)
@requires(Role.VIEWER)
@user_rate_limit("read")
def audit_log_list(request: HttpRequest, query: Query[AuditLogQuery]) -> Any:
    access = request.workspace
    return audit_log_page(workspace_id=access.id, owner=access.owner, **query.dict())
