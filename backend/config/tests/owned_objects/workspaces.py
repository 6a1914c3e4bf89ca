"""A team a user owns (`{workspace_id}`), its members (`{user_id}`) and invitations
(`{invitation_id}`)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from apps.workspaces.models import Invitation, Membership, Role, Workspace
from testing.factories import UserFactory
from testing.fake_tiktok import FakeTikTok


def team_workspace(user: AbstractBaseUser, fake: FakeTikTok) -> uuid.UUID:
    """A team the user owns beside a second owner (so they may step down or leave); the same
    one for every parameter of a route (`/workspaces/{workspace_id}/invitations/{...}`)."""
    workspace = Workspace.objects.filter(
        memberships__user=user, memberships__role=Role.OWNER, personal_for__isnull=True
    ).first()
    if workspace is None:
        workspace = Workspace.objects.create(name=f"Team of {user.get_username()}")
        Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
        Membership.objects.create(workspace=workspace, user=UserFactory(), role=Role.OWNER)
    return workspace.id


def team_member(user: AbstractBaseUser, fake: FakeTikTok) -> Any:
    """The user themself, as a member of their team (a user id is an integer)."""
    team_workspace(user, fake)
    return user.pk


def pending_invitation(user: AbstractBaseUser, fake: FakeTikTok) -> uuid.UUID:
    now = timezone.now()
    return Invitation.objects.create(
        workspace_id=team_workspace(user, fake),
        role=Role.VIEWER,
        token_hash=uuid.uuid4().hex,
        expires_at=now + timedelta(days=1),
    ).id
