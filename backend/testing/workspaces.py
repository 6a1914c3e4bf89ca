"""Workspaces for tests: a team with one member of each role, joining one directly, and
clients that call the API as one of them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpResponse
from django.test import Client

from apps.workspaces.models import Membership, Role, Workspace
from testing.factories import UserFactory
from testing.http import bearer_header


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


def client_of(user: AbstractBaseUser) -> Client:
    return Client(headers=bearer_header(user))


def send(
    client: Client, method: str, path: str, body: dict[str, Any] | None = None
) -> HttpResponse:
    """Any method with a JSON body (Django's client has none for DELETE with a body)."""
    data = "" if body is None else json.dumps(body)
    return client.generic(method, path, data=data, content_type="application/json")
