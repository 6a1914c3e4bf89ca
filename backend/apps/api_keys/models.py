"""API keys: long-lived credentials a user gives a script, acting as them in one workspace.

Only a hash of the key is stored, with its first 12 characters (`prefix`) to recognise it. A
key's user, workspace, scopes and expiry are fixed at creation (apps.api_keys.access caches
them per process on that promise); revoking is the one change a key knows.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Scope(models.TextChoices):
    """What a key may do; its user's role in the workspace still limits it (api.auth.scopes)."""

    READ = "read"
    WRITE = "write"
    PUBLISH = "publish"


class ApiKey(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["user", "-created_at"], name="api_key_user_recent")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
