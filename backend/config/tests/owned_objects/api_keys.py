"""API keys a user owns (`{key_id}`)."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser

from apps.api_keys.models import Scope
from apps.api_keys.services import api_key_create
from apps.audit.services import RequestMeta
from testing.factories import personal_workspace
from testing.fake_tiktok import FakeTikTok


def api_key(user: AbstractBaseUser, fake: FakeTikTok) -> uuid.UUID:
    """A live key of the user, in their personal workspace."""
    return api_key_create(
        user_id=user.pk,
        workspace_id=personal_workspace(user).id,
        name="owned",
        scopes=[Scope.READ],
        expires_at=None,
        meta=RequestMeta(user_id=user.pk),
    ).api_key.id
