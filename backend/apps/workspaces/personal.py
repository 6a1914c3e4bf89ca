"""Every user's personal workspace: made with the user, its id derived from the user's id.

The id is a UUIDv5 of the user's primary key, so a request without `X-Workspace-Id` knows its
workspace before reading anything: the membership, the reads version and a cached answer are
fetched in the request's one round trip (api.round_trip) instead of two. The data migration
(tiktok_accounts 0007) gives existing users the same ids.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from apps.workspaces.models import Membership, Role, Workspace

# Fixed forever: changing it would orphan every personal workspace.
_NAMESPACE = uuid.UUID("5c1b7a3e-2f0d-4c55-9a7e-8d2f4b6c9e10")
PERSONAL_NAME = "Personal"


def personal_workspace_id(user_id: object) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"personal:{user_id}")


def personal_workspace_ensure(user: Any) -> None:
    """Creates the user's personal workspace, owned by them (nothing if it exists)."""
    with transaction.atomic():
        workspace, created = Workspace.objects.get_or_create(
            id=personal_workspace_id(user.pk),
            defaults={"name": PERSONAL_NAME, "personal_for": user},
        )
        if created:
            Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)


def user_saved(sender: type, instance: Any, created: bool = False, **kwargs: Any) -> None:
    """post_save of the user model: a new user (the API, the admin, createsuperuser) gets one."""
    if created and not kwargs.get("raw"):
        personal_workspace_ensure(instance)
