"""Ops view of the audit trail: list and detail only, since entries are never changed."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.utils.html import format_html
from django.utils.safestring import SafeString

from apps.audit.models import AuditLog
from apps.core.admin import ViewOnlyAdmin


def _pretty_json(value: Any) -> SafeString:
    # format_html escapes the JSON, so user-controlled profile text cannot inject markup.
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return format_html("<pre>{}</pre>", text)


@admin.register(AuditLog)
class AuditLogAdmin(ViewOnlyAdmin):
    list_display = (
        "created_at",
        "workspace",
        "user",
        "action",
        "resource_type",
        "resource_id",
        "ip_address",
    )
    list_select_related = ("workspace", "user")
    list_filter = ("action",)
    search_fields = (
        "user__username",
        "user__email",
        "workspace__name",
        "workspace__memberships__user__username",
    )
    search_help_text = (
        "The acting user's username or email, the workspace's name or a member's username."
    )
    fields = (
        "id",
        "created_at",
        "workspace",
        "user",
        "action",
        "resource_type",
        "resource_id",
        "ip_address",
        "user_agent",
        "changes_pretty",
        "metadata_pretty",
    )
    readonly_fields = fields

    @admin.display(description="changes")
    def changes_pretty(self, entry: AuditLog) -> SafeString:
        return _pretty_json(entry.changes)

    @admin.display(description="metadata")
    def metadata_pretty(self, entry: AuditLog) -> SafeString:
        return _pretty_json(entry.metadata)
