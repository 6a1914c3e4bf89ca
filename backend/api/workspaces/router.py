"""`/api/workspaces` and `/api/invitations/accept`: teams, their members and invitations.

These routes name their workspace in the path (`X-Workspace-Id` is ignored): each
`{workspace_id}` route declares its least role with `@path_workspace(...)`, which answers 404
WORKSPACE_NOT_FOUND to a non-member and 403 INSUFFICIENT_ROLE below the role
(api.workspace_scope). Reads count against the `read` rate limit, writes against `manage`.
"""

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Status

from api.round_trip import user_rate_limit
from api.workspace_scope import RoleRouter, path_workspace
from api.workspaces.schemas import (
    InvitationAcceptIn,
    InvitationCreatedOut,
    InvitationIn,
    InvitationListOut,
    MemberListOut,
    MemberOut,
    MemberRoleIn,
    WorkspaceCreateIn,
    WorkspaceListOut,
    WorkspaceOut,
    WorkspaceUpdateIn,
)
from apps.audit.services import RequestMeta
from apps.core.errors import (
    BODY_ERRORS,
    READ_ERRORS,
    WORKSPACE_ERRORS,
    ErrorOut,
    MemberNotFound,
    WorkspaceNotFound,
)
from apps.workspaces import invitations, selectors, services
from apps.workspaces.models import Role
from apps.workspaces.selectors import WorkspaceView

router = RoleRouter(tags=["workspaces"])
invitation_router = RoleRouter(tags=["workspaces"])

MEMBER_ERRORS = {**READ_ERRORS, **WORKSPACE_ERRORS}
CONFLICT = {409: ErrorOut}


def _member_pk(user_id: str) -> int:
    """A user id is an integer; anything else names no member (404, like an unknown one),
    so that every `{..._id}` of the API answers a foreign or made-up id the same way."""
    if not user_id.isascii() or not user_id.isdigit() or len(user_id) > 18:
        raise MemberNotFound
    return int(user_id)


def _workspace(request: HttpRequest, workspace_id: uuid.UUID) -> WorkspaceView:
    found = selectors.workspace_get(workspace_id=workspace_id, user_id=request.auth.pk)  # type: ignore[attr-defined]
    if found is None:  # removed between the role check and this read
        raise WorkspaceNotFound
    return found


@router.get("", response={200: WorkspaceListOut, **READ_ERRORS}, summary="Your workspaces")
@user_rate_limit("read")
def workspace_list(request: HttpRequest) -> Any:
    return {"items": selectors.workspace_list(user_id=request.auth.pk)}  # type: ignore[attr-defined]


@router.post(
    "",
    response={201: WorkspaceOut, **READ_ERRORS, **BODY_ERRORS},
    summary="Create a workspace (you are its owner)",
)
@user_rate_limit("manage")
def workspace_create(request: HttpRequest, payload: WorkspaceCreateIn) -> Any:
    workspace = services.workspace_create(
        user=request.auth, name=payload.name, meta=RequestMeta.from_request(request)
    )
    return Status(201, _workspace(request, workspace.id))


@router.get(
    "/{workspace_id}", response={200: WorkspaceOut, **MEMBER_ERRORS}, summary="One workspace"
)
@path_workspace(Role.VIEWER, scope="read")
def workspace_detail(request: HttpRequest, workspace_id: uuid.UUID) -> Any:
    return _workspace(request, workspace_id)


@router.patch(
    "/{workspace_id}",
    response={200: WorkspaceOut, **MEMBER_ERRORS, **BODY_ERRORS},
    summary="Rename the workspace or switch post approval",
)
@path_workspace(Role.ADMIN, scope="manage")
def workspace_update(
    request: HttpRequest, workspace_id: uuid.UUID, payload: WorkspaceUpdateIn
) -> Any:
    services.workspace_update(
        access=request.workspace,  # type: ignore[attr-defined]
        name=payload.name,
        post_approval_required=payload.post_approval_required,
        meta=RequestMeta.from_request(request),
    )
    return _workspace(request, workspace_id)


@router.delete(
    "/{workspace_id}",
    response={204: None, **MEMBER_ERRORS, **CONFLICT},
    summary="Delete an empty team workspace",
)
@path_workspace(Role.OWNER, scope="manage")
def workspace_delete(request: HttpRequest, workspace_id: uuid.UUID) -> Any:
    services.workspace_delete(access=request.workspace)  # type: ignore[attr-defined]
    return Status(204, None)


@router.get(
    "/{workspace_id}/members",
    response={200: MemberListOut, **MEMBER_ERRORS},
    summary="The workspace's members, first joined first",
)
@path_workspace(Role.VIEWER, scope="read")
def member_list(request: HttpRequest, workspace_id: uuid.UUID) -> Any:
    return {"items": selectors.member_list(workspace_id=workspace_id)}


@router.patch(
    "/{workspace_id}/members/{user_id}",
    response={200: MemberOut, **MEMBER_ERRORS, **BODY_ERRORS, **CONFLICT},
    summary="Change a member's role",
)
@path_workspace(Role.ADMIN, scope="manage")
def member_role_change(
    request: HttpRequest, workspace_id: uuid.UUID, user_id: str, payload: MemberRoleIn
) -> Any:
    return services.member_role_change(
        access=request.workspace,  # type: ignore[attr-defined]
        user_id=_member_pk(user_id),
        role=payload.role,
        meta=RequestMeta.from_request(request),
    )


# Viewer: anyone may leave (their own user_id); removing another member needs admin (the
# service checks it against the roles table).
@router.delete(
    "/{workspace_id}/members/{user_id}",
    response={204: None, **MEMBER_ERRORS, **CONFLICT},
    summary="Remove a member, or leave (your own user id)",
)
@path_workspace(Role.VIEWER, scope="manage")
def member_remove(request: HttpRequest, workspace_id: uuid.UUID, user_id: str) -> Any:
    services.member_remove(
        access=request.workspace,  # type: ignore[attr-defined]
        user_id=_member_pk(user_id),
        meta=RequestMeta.from_request(request),
    )
    return Status(204, None)


@router.post(
    "/{workspace_id}/invitations",
    response={201: InvitationCreatedOut, **MEMBER_ERRORS, **BODY_ERRORS},
    summary="Invite someone (the token is shown once)",
)
@path_workspace(Role.ADMIN, scope="manage")
def invitation_create(request: HttpRequest, workspace_id: uuid.UUID, payload: InvitationIn) -> Any:
    created = invitations.invitation_create(
        access=request.workspace,  # type: ignore[attr-defined]
        role=Role(payload.role),
        meta=RequestMeta.from_request(request),
    )
    invitation = created.invitation
    return Status(
        201,
        {
            "id": invitation.id,
            "role": invitation.role,
            "token": created.token,
            "created_at": invitation.created_at,
            "expires_at": invitation.expires_at,
        },
    )


@router.get(
    "/{workspace_id}/invitations",
    response={200: InvitationListOut, **MEMBER_ERRORS},
    summary="The pending invitations, newest first",
)
@path_workspace(Role.ADMIN, scope="read")
def invitation_list(request: HttpRequest, workspace_id: uuid.UUID) -> Any:
    return {"items": selectors.invitation_pending_list(workspace_id=workspace_id)}


@router.delete(
    "/{workspace_id}/invitations/{invitation_id}",
    response={204: None, **MEMBER_ERRORS},
    summary="Revoke a pending invitation",
)
@path_workspace(Role.ADMIN, scope="manage")
def invitation_revoke(
    request: HttpRequest, workspace_id: uuid.UUID, invitation_id: uuid.UUID
) -> Any:
    invitations.invitation_revoke(
        access=request.workspace,  # type: ignore[attr-defined]
        invitation_id=invitation_id,
        meta=RequestMeta.from_request(request),
    )
    return Status(204, None)


@invitation_router.post(
    "/accept",
    response={200: WorkspaceOut, 400: ErrorOut, **READ_ERRORS, **BODY_ERRORS, **CONFLICT},
    summary="Accept an invitation: join its workspace",
)
@user_rate_limit("manage")
def invitation_accept(request: HttpRequest, payload: InvitationAcceptIn) -> Any:
    invitation = invitations.invitation_accept(
        user=request.auth, token=payload.token, meta=RequestMeta.from_request(request)
    )
    return _workspace(request, invitation.workspace_id)
