"""Writes of workspaces and their members: create, update, delete, change a role, remove.

The caller's role (`access`, checked by the API before) says what they may do; the rules of
the contract's roles table that depend on the TARGET member are here: an admin may act on
editors and viewers only (and make them nothing above editor), an owner on anyone. The last
owner is protected: a member change locks the workspace row, then the owner rows when it
changes an owner, so two owners stepping down at once cannot leave the workspace without one.

Memberships are written with .save()/.delete()/.create() only: their signals mark the cached
role stale (apps.workspaces.access), so a removed or demoted member is refused at once.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from apps.audit.models import AuditAction
from apps.audit.services import AuditEntry, RequestMeta, audit_record
from apps.core.errors import (
    InsufficientRole,
    LastOwner,
    MemberNotFound,
    WorkspaceNotEmpty,
    WorkspaceNotFound,
    WorkspacePersonal,
)
from apps.workspaces.access import WorkspaceAccess
from apps.workspaces.models import Membership, Role, Workspace

# What an admin may act on, and make others: the roles below theirs.
ADMIN_MANAGES = frozenset({Role.EDITOR, Role.VIEWER})


def _audit(workspace_id: uuid.UUID, action: AuditAction, meta: RequestMeta, **fields: Any) -> None:
    audit_record(
        AuditEntry(
            workspace_id=workspace_id,
            action=action,
            resource_id=workspace_id,
            resource_type="workspace",
            meta=meta,
            **fields,
        )
    )


@transaction.atomic
def workspace_create(*, user: Any, name: str, meta: RequestMeta) -> Workspace:
    """A new team workspace; its creator is its owner."""
    workspace = Workspace.objects.create(name=name)
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    _audit(workspace.id, AuditAction.WORKSPACE_CREATE, meta, metadata={"name": name})
    return workspace


@transaction.atomic
def workspace_update(
    *,
    access: WorkspaceAccess,
    name: str | None = None,
    post_approval_required: bool | None = None,
    meta: RequestMeta,
) -> None:
    """Renames the workspace and/or switches post approval; audits what changed."""
    workspace = Workspace.objects.select_for_update().filter(id=access.id).first()
    if workspace is None:  # deleted since the caller's role was read
        raise WorkspaceNotFound
    wanted = {"name": name, "post_approval_required": post_approval_required}
    before, after = {}, {}
    for field, value in wanted.items():
        if value is not None and getattr(workspace, field) != value:
            before[field], after[field] = getattr(workspace, field), value
            setattr(workspace, field, value)
    if not after:
        return
    workspace.save(update_fields=list(after))
    action = AuditAction.WORKSPACE_RENAME if "name" in after else AuditAction.WORKSPACE_UPDATE
    _audit(access.id, action, meta, changes={"before": before, "after": after})


@transaction.atomic
def workspace_delete(*, access: WorkspaceAccess) -> None:
    """Deletes an empty team workspace with its invitations and memberships.

    The row lock keeps an account from being connected into it meanwhile: the account's
    insert waits on it (its foreign key), then finds the workspace gone. Its audit trail
    stays, without a workspace (apps.audit.models)."""
    workspace = Workspace.objects.select_for_update().filter(id=access.id).first()
    if workspace is None:  # deleted meanwhile (a concurrent delete held the lock)
        raise WorkspaceNotFound
    if workspace.personal:
        raise WorkspacePersonal
    # Soft-deleted accounts do not count: they go with the workspace.
    if workspace.tiktok_accounts.filter(is_deleted=False).exists():  # type: ignore[attr-defined]
        raise WorkspaceNotEmpty
    workspace.delete()  # one Membership delete signal each: their cached roles go stale


def _target(workspace_id: uuid.UUID, user_id: object) -> Membership:
    """The member acted on, locked, with the workspace (for `personal`).

    The workspace row is locked first (FOR NO KEY UPDATE: inserts that reference it, such as
    a connected account, do not wait): every change of a member of one workspace takes the
    same first lock, so two of them queue instead of deadlocking on each other's rows."""
    workspace = Workspace.objects.select_for_update(no_key=True).filter(id=workspace_id).first()
    try:
        target = Membership.objects.select_for_update().get(
            workspace_id=workspace_id, user_id=user_id
        )
    except Membership.DoesNotExist:
        raise MemberNotFound from None
    target.workspace = workspace  # type: ignore[assignment]
    return target


def _may_act_on(access: WorkspaceAccess, target: Membership, new_role: Role | None) -> None:
    """403 unless the caller's role may act on `target` (and make them `new_role`)."""
    if access.role == Role.OWNER:
        return
    if access.role != Role.ADMIN:
        raise InsufficientRole(Role.ADMIN.value)
    if target.role not in ADMIN_MANAGES or (new_role is not None and new_role not in ADMIN_MANAGES):
        raise InsufficientRole(Role.OWNER.value)


def _keep_an_owner(target: Membership) -> None:
    """409 LAST_OWNER when `target`, an owner, is the workspace's only one. The owner rows are
    locked (after the workspace, see `_target`): no other owner changes until this commits."""
    owners = Membership.objects.select_for_update().filter(
        workspace_id=target.workspace_id, role=Role.OWNER
    )
    if len(owners) <= 1:
        raise LastOwner


@transaction.atomic
def member_role_change(
    *, access: WorkspaceAccess, user_id: object, role: Role, meta: RequestMeta
) -> Membership:
    """Gives a member another role, as the roles table allows."""
    target = _target(access.id, user_id)
    _may_act_on(access, target, role)
    if target.role == role:
        return target
    if target.workspace.personal_for_id == target.user_id:
        raise WorkspacePersonal  # its user stays its owner
    if target.role == Role.OWNER:
        _keep_an_owner(target)
    before, target.role = target.role, role
    target.save(update_fields=["role"])
    _audit(
        access.id,
        AuditAction.MEMBER_ROLE,
        meta,
        changes={"before": {"role": before}, "after": {"role": role.value}},
        metadata={"member_user_id": target.user_id},
    )
    return target


@transaction.atomic
def member_remove(*, access: WorkspaceAccess, user_id: object, meta: RequestMeta) -> None:
    """Removes a member, or lets the caller leave (anyone may, but the last owner)."""
    target = _target(access.id, user_id)
    leaving = target.user_id == access.user_id
    if not leaving:
        _may_act_on(access, target, None)
    if target.workspace.personal_for_id == target.user_id:
        raise WorkspacePersonal
    if target.role == Role.OWNER:
        _keep_an_owner(target)
    target.delete()
    _audit(
        access.id,
        AuditAction.MEMBER_REMOVE,
        meta,
        metadata={"user_id_removed": target.user_id, "left": leaving},
    )
