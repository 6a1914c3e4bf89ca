"""The audit entries of posts: one per create, cancel and status change."""

from __future__ import annotations

from typing import Any

from apps.audit.models import AuditAction
from apps.audit.services import SYSTEM, AuditEntry, RequestMeta, audit_record
from apps.posts.models import Post

# Work the service does on its own: no caller, no IP.


def post_audit(
    post: Post,
    action: AuditAction,
    *,
    meta: RequestMeta = SYSTEM,
    changes: dict[str, Any] | None = None,
    **metadata: Any,
) -> None:
    audit_record(
        AuditEntry(
            workspace_id=post.workspace_id,
            action=action,
            resource_type="post",
            resource_id=post.id,
            meta=meta,
            changes=changes or {},
            metadata={"account_id": str(post.account_id), **metadata},
        )
    )


def status_changes(before: str, after: str) -> dict[str, Any]:
    return {"before": {"status": before}, "after": {"status": after}}
