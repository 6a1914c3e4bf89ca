"""API keys in tests: one made through the service, its Authorization header, a team workspace."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from apps.api_keys.models import ApiKey, Scope
from apps.api_keys.services import api_key_create
from apps.audit.services import RequestMeta
from apps.workspaces.models import Membership, Role, Workspace
from apps.workspaces.personal import personal_workspace_id

ALL_SCOPES = (Scope.READ, Scope.WRITE, Scope.PUBLISH)


def make_api_key(
    user: Any,
    scopes: tuple[Scope, ...] | list[Scope] = ALL_SCOPES,
    *,
    workspace: Workspace | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """A key of `user` (in their personal workspace unless told) and its secret."""
    created = api_key_create(
        user_id=user.pk,
        workspace_id=workspace.id if workspace else personal_workspace_id(user.pk),
        name="test key",
        scopes=list(scopes),
        expires_at=expires_at,
        meta=RequestMeta(user_id=user.pk),
    )
    return created.api_key, created.key


def key_header(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def team_workspace(*members: tuple[Any, Role], name: str = "Team") -> Workspace:
    """A shared workspace with these (user, role) members."""
    workspace = Workspace.objects.create(name=name)
    for user, role in members:
        Membership.objects.create(workspace=workspace, user=user, role=role)
    return workspace
