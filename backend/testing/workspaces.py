"""Workspaces for tests: a team with one member of each role, and joining one directly."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from apps.workspaces.models import Membership, Role, Workspace
from testing.factories import UserFactory


def join(workspace: Workspace, user: AbstractBaseUser, role: Role) -> Membership:
    """Makes `user` a member with `role` (through .create(), so the cached role goes stale)."""
    return Membership.objects.create(workspace=workspace, user=user, role=role)


@dataclass(frozen=True)
class Team:
    """A team workspace with one member of each role."""

    workspace: Workspace
    owner: AbstractBaseUser
    admin: AbstractBaseUser
    editor: AbstractBaseUser
    viewer: AbstractBaseUser

    def member(self, role: Role) -> AbstractBaseUser:
        return getattr(self, role.value)


def make_team(name: str = "Acme social team") -> Team:
    """Joined in this order: owner, admin, editor, viewer."""
    workspace = Workspace.objects.create(name=name)
    users = [UserFactory() for _ in range(4)]
    for user, role in zip(users, (Role.OWNER, Role.ADMIN, Role.EDITOR, Role.VIEWER), strict=True):
        join(workspace, user, role)
    return Team(workspace, *users)
