"""Ops view of the recent background jobs: read-only, like the audit log."""

from __future__ import annotations

from django.contrib import admin

from apps.core.admin import ViewOnlyAdmin
from apps.jobs.models import Job


@admin.register(Job)
class JobAdmin(ViewOnlyAdmin):
    list_display = (
        "created_at",
        "user",
        "kind",
        "status",
        "total",
        "succeeded",
        "failed",
        "started_at",
        "finished_at",
    )
    list_select_related = ("user",)
    list_filter = ("status", "kind")
    search_fields = ("user__username", "user__email")
    search_help_text = "The user's username or email."
    date_hierarchy = "created_at"
    fields = (
        "id",
        "user",
        "kind",
        "status",
        "total",
        "succeeded",
        "failed",
        "errors",
        "created_at",
        "started_at",
        "finished_at",
        "heartbeat_at",
        "progress_at",
    )
    readonly_fields = fields
