"""Append-only audit trail of every change made in a workspace: by its members or the service."""

from __future__ import annotations

import uuid
from typing import Any, NoReturn

from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    CONNECT = "connect"
    RECONNECT = "reconnect"
    SYNC = "sync"
    DELETE = "delete"
    RESTORE = "restore"
    TOKEN_REFRESH = "token_refresh"  # noqa: S105 (an action, not a secret)
    AUTHORIZATION_REMOVED = "authorization_removed"
    POST_CREATE = "post_create"
    POST_CANCEL = "post_cancel"
    POST_STATUS = "post_status"
    WORKSPACE_CREATE = "workspace_create"
    WORKSPACE_RENAME = "workspace_rename"
    WORKSPACE_UPDATE = "workspace_update"  # a setting changed, the name did not
    INVITATION_CREATE = "invitation_create"
    INVITATION_REVOKE = "invitation_revoke"
    MEMBER_JOIN = "member_join"
    MEMBER_ROLE = "member_role"
    MEMBER_REMOVE = "member_remove"
    API_KEY_CREATE = "api_key_create"
    API_KEY_REVOKE = "api_key_revoke"
    POST_APPROVE = "post_approve"
    POST_REJECT = "post_reject"
    WEBHOOK_ENDPOINT_CREATE = "webhook_endpoint_create"
    WEBHOOK_ENDPOINT_UPDATE = "webhook_endpoint_update"
    WEBHOOK_ENDPOINT_DELETE = "webhook_endpoint_delete"
    WEBHOOK_ENDPOINT_ROTATE = "webhook_endpoint_rotate"


class ImmutableAuditLog(Exception):
    """Audit entries are written once; nothing in the application updates or deletes them."""


class AuditLogQuerySet(models.QuerySet["AuditLog"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise ImmutableAuditLog("Audit log entries cannot be updated.")

    def delete(self) -> NoReturn:
        raise ImmutableAuditLog("Audit log entries cannot be deleted.")


class AuditLog(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # None once its workspace is deleted: the trail outlives it (ops still see it in the admin).
    workspace = models.ForeignKey(
        "workspaces.Workspace", null=True, on_delete=models.SET_NULL, related_name="audit_logs"
    )
    # The acting user (None: the service's own work); also in `metadata.user_id`.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_logs",
    )
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    resource_type = models.CharField(max_length=64)
    resource_id = models.UUIDField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True, default="")
    changes = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["workspace", "-created_at", "-id"], name="audit_ws_created_idx"),
            models.Index(
                fields=["workspace", "resource_id", "-created_at", "-id"],
                name="audit_ws_resource_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.resource_type}:{self.resource_id} in {self.workspace_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableAuditLog("Audit log entries cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ImmutableAuditLog("Audit log entries cannot be deleted.")
