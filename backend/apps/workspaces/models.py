"""Workspaces: who shares which TikTok accounts, and with what role.

A workspace owns accounts and all that hangs off them (posts, jobs, history, the audit log);
users belong to workspaces through a Membership with one Role. Every user has exactly one
personal workspace, made with the user (apps.workspaces.personal).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    """Least to most: each role may do what the roles before it may (the contract's table)."""

    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        return ROLE_ORDER.index(self)

    def at_least(self, needed: Role) -> bool:
        return self.rank >= needed.rank


ROLE_ORDER = (Role.VIEWER, Role.EDITOR, Role.ADMIN, Role.OWNER)


class Workspace(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    # Set on a personal workspace only: its user, who can neither leave nor delete it.
    personal_for = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="personal_workspace",
    )
    post_approval_required = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name", "id")

    def __str__(self) -> str:
        return self.name

    @property
    def personal(self) -> bool:
        return self.personal_for_id is not None


class Membership(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("joined_at", "id")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="ws_one_membership"),
        ]
        indexes = [models.Index(fields=["user", "workspace"], name="ws_member_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} in {self.workspace_id}"


class Invitation(models.Model):
    """A single-use invitation: only the token's hash is stored (the token is shown once)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=16, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["workspace", "-created_at"], name="ws_invitation_recent")]

    def __str__(self) -> str:
        return f"{self.role} invitation to {self.workspace_id}"
