"""Reading a user's API keys (never their hash: it stays in the model)."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.api_keys.models import ApiKey


def api_key_list(*, user_id: object) -> QuerySet[ApiKey]:
    """The user's keys that are not revoked (expired ones included), newest first."""
    return ApiKey.objects.filter(user_id=user_id, revoked_at__isnull=True).order_by(
        "-created_at", "-id"
    )
