"""Invitations: created with a token shown once, revoked, accepted exactly once.

Only the token's SHA-256 is stored: a leaked table, log or admin page lets nobody join. The
token carries 256 random bits, so an unsalted fast hash is enough (nothing to guess).
Single use even under a race: accepting marks the invitation used with one conditional
UPDATE (`... WHERE used_at IS NULL AND revoked_at IS NULL AND expires_at > now`); of two
callers with one token, the database lets exactly one of them change the row.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.models import AuditAction
from apps.audit.services import AuditEntry, RequestMeta, audit_record
from apps.core.errors import (
    AlreadyMember,
    InsufficientRole,
    InvalidInvitation,
    InvitationNotFound,
)
from apps.workspaces.access import WorkspaceAccess
from apps.workspaces.models import Invitation, Membership, Role
from apps.workspaces.services import ADMIN_MANAGES


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    token: str  # shown to its creator once, never stored


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _audit(invitation: Invitation, action: AuditAction, meta: RequestMeta) -> None:
    audit_record(
        AuditEntry(
            workspace_id=invitation.workspace_id,
            action=action,
            resource_id=invitation.workspace_id,
            resource_type="workspace",
            meta=meta,
            metadata={"invitation_id": str(invitation.id), "role": invitation.role},
        )
    )


@transaction.atomic
def invitation_create(*, access: WorkspaceAccess, role: Role, meta: RequestMeta) -> NewInvitation:
    """An invitation to join with `role` (an admin may invite editors and viewers only)."""
    if access.role != Role.OWNER and role not in ADMIN_MANAGES:
        raise InsufficientRole(Role.OWNER.value)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation = Invitation.objects.create(
        workspace_id=access.id,
        role=role,
        token_hash=token_hash(token),
        created_by_id=access.user_id,
        created_at=now,
        expires_at=now + timedelta(hours=settings.INVITATION_TTL_HOURS),
    )
    _audit(invitation, AuditAction.INVITATION_CREATE, meta)
    return NewInvitation(invitation, token)


@transaction.atomic
def invitation_revoke(
    *, access: WorkspaceAccess, invitation_id: uuid.UUID, meta: RequestMeta
) -> None:
    """Revokes a pending invitation; one that is not pending (used, revoked, expired) is 404."""
    now = timezone.now()
    pending = Invitation.objects.select_for_update().filter(
        id=invitation_id,
        workspace_id=access.id,
        used_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    )
    invitation = pending.first()
    if invitation is None:
        raise InvitationNotFound
    invitation.revoked_at = now
    invitation.save(update_fields=["revoked_at"])
    _audit(invitation, AuditAction.INVITATION_REVOKE, meta)


def invitation_accept(*, user: Any, token: str, meta: RequestMeta) -> Invitation:
    """The caller joins the invitation's workspace with its role; the invitation is used up.

    400 INVALID_INVITATION unless it is pending; 409 ALREADY_MEMBER leaves it unused (the
    whole transaction rolls back, also when the same user races with two invitations)."""
    invitation = Invitation.objects.filter(token_hash=token_hash(token)).first()
    now = timezone.now()
    if (
        invitation is None
        or invitation.used_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= now
    ):
        raise InvalidInvitation
    if Membership.objects.filter(workspace_id=invitation.workspace_id, user=user).exists():
        raise AlreadyMember
    try:
        with transaction.atomic():
            taken = Invitation.objects.filter(
                id=invitation.id,
                used_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__gt=now,
            ).update(used_at=now, used_by=user)
            if taken != 1:
                raise InvalidInvitation  # another caller used it (or it was revoked) meanwhile
            Membership.objects.create(
                workspace_id=invitation.workspace_id, user=user, role=invitation.role
            )
            audit_record(
                AuditEntry(
                    workspace_id=invitation.workspace_id,
                    action=AuditAction.MEMBER_JOIN,
                    resource_id=invitation.workspace_id,
                    resource_type="workspace",
                    meta=meta,
                    metadata={"role": invitation.role, "invitation_id": str(invitation.id)},
                )
            )
    except IntegrityError:
        raise AlreadyMember from None  # joined meanwhile through another invitation
    return invitation
