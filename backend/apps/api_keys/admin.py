"""Ops view of API keys: who holds which, for what, since when; never the key or its hash."""

from __future__ import annotations

from django.contrib import admin

from apps.api_keys.models import ApiKey
from apps.core.admin import ViewOnlyAdmin

SHOWN_FIELDS = (
    "id",
    "name",
    "prefix",
    "user",
    "workspace",
    "scopes",
    "created_at",
    "expires_at",
    "revoked_at",
    "last_used_at",
)


@admin.register(ApiKey)
class ApiKeyAdmin(ViewOnlyAdmin):
    list_display = ("name", "prefix", "user", "workspace", "created_at", "expires_at", "revoked_at")
    list_select_related = ("user", "workspace")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__username")
    search_help_text = "The key's name, its prefix or its user's username."
    fields = SHOWN_FIELDS  # key_hash is never shown
