"""Request and response bodies of /api/workspaces and /api/invitations (no token hash ever)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StringConstraints, model_validator

from apps.core.schemas import InSchema
from apps.workspaces.models import Membership, Role

# 1..100 characters once the spaces around it are trimmed.
WorkspaceName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
]


class WorkspaceOut(Schema):
    id: uuid.UUID
    name: str
    personal: bool
    role: Role = Field(description="The caller's role in this workspace.")
    member_count: int
    post_approval_required: bool
    created_at: datetime


class WorkspaceListOut(Schema):
    items: list[WorkspaceOut]


class WorkspaceCreateIn(InSchema):
    name: WorkspaceName = Field(examples=["Acme social team"])


class WorkspaceUpdateIn(InSchema):
    name: WorkspaceName | None = Field(None, examples=["Acme social team"])
    post_approval_required: bool | None = Field(None, examples=[True])

    @model_validator(mode="after")
    def _something_to_change(self) -> WorkspaceUpdateIn:
        if self.name is None and self.post_approval_required is None:
            raise ValueError("Give name, post_approval_required or both.")
        return self


class MemberOut(Schema):
    user_id: int
    username: str
    role: Role
    joined_at: datetime

    @staticmethod
    def resolve_username(membership: Membership) -> str:
        return membership.user.username


class MemberListOut(Schema):
    items: list[MemberOut]


class MemberRoleIn(InSchema):
    role: Role = Field(examples=["editor"])


class InvitationIn(InSchema):
    role: Literal["admin", "editor", "viewer"] = Field(
        examples=["editor"], description="An admin may invite editors and viewers only."
    )


class InvitationOut(Schema):
    id: uuid.UUID
    role: Role
    created_at: datetime
    expires_at: datetime


class InvitationCreatedOut(InvitationOut):
    token: str = Field(description="Shown in this answer only: send it to the person invited.")


class InvitationListOut(Schema):
    items: list[InvitationOut]


class InvitationAcceptIn(InSchema):
    token: str = Field(min_length=1, max_length=200, examples=["<token from the invitation>"])
