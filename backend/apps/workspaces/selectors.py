"""Reads of workspaces, their members and pending invitations (as a member sees them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, Count, IntegerField, QuerySet, Value, When
from django.utils import timezone

from apps.workspaces.models import Invitation, Membership, Role


@dataclass(frozen=True)
class WorkspaceView:
    """A workspace as one member sees it: `role` is theirs."""

    id: uuid.UUID
    name: str
    personal: bool
    role: Role
    member_count: int
    post_approval_required: bool
    created_at: datetime


def _memberships_of(user_id: object) -> QuerySet[Membership]:
    """The user's memberships with their workspace and its member count: one statement."""
    return (
        Membership.objects.filter(user_id=user_id)
        .select_related("workspace")
        .annotate(member_count=Count("workspace__memberships"))
    )


def _view(membership: Membership) -> WorkspaceView:
    workspace = membership.workspace
    return WorkspaceView(
        id=workspace.id,
        name=workspace.name,
        personal=workspace.personal,
        role=Role(membership.role),
        member_count=membership.member_count,  # type: ignore[attr-defined]
        post_approval_required=workspace.post_approval_required,
        created_at=workspace.created_at,
    )


def workspace_list(*, user_id: object) -> list[WorkspaceView]:
    """Every workspace the user is in: their own personal one first, then by name."""
    own_first = Case(
        When(workspace__personal_for_id=user_id, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    rows = _memberships_of(user_id).order_by(own_first, "workspace__name", "workspace__id")
    return [_view(membership) for membership in rows]


def workspace_get(*, workspace_id: uuid.UUID, user_id: object) -> WorkspaceView | None:
    """The workspace as the user sees it; None when they are not (or no longer) a member."""
    membership = _memberships_of(user_id).filter(workspace_id=workspace_id).first()
    return None if membership is None else _view(membership)


def member_list(*, workspace_id: uuid.UUID) -> QuerySet[Membership]:
    """The workspace's members, first joined first, with their usernames (one statement)."""
    return (
        Membership.objects.filter(workspace_id=workspace_id)
        .select_related("user")
        .order_by("joined_at", "id")
    )


def invitation_pending_list(*, workspace_id: uuid.UUID) -> QuerySet[Invitation]:
    """The invitations that may still be accepted: not used, not revoked, not expired."""
    return Invitation.objects.filter(
        workspace_id=workspace_id,
        used_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).order_by("-created_at", "-id")
