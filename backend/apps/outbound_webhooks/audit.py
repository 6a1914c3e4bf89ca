"""The audit entry of a change to an endpoint (resource `webhook_endpoint`): one home for the
admins' changes (services.py) and the service's own (delivery.py disabling a failing one)."""

from __future__ import annotations

from typing import Any

from apps.audit.models import AuditAction
from apps.audit.services import AuditEntry, RequestMeta, audit_record
from apps.outbound_webhooks.models import AUDIT_RESOURCE, WebhookEndpoint


def endpoint_audit(
    endpoint: WebhookEndpoint, action: AuditAction, meta: RequestMeta, **kw: Any
) -> None:
    audit_record(
        AuditEntry(
            workspace_id=endpoint.workspace_id,
            action=action,
            resource_id=endpoint.id,
            resource_type=AUDIT_RESOURCE,
            meta=meta,
            **kw,
        )
    )
