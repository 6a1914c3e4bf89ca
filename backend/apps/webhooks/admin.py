"""Ops can see which TikTok events arrived and what they did; nobody edits them."""

from django.contrib import admin

from apps.core.admin import ViewOnlyAdmin
from apps.webhooks.models import WebhookEvent


@admin.register(WebhookEvent)
class WebhookEventAdmin(ViewOnlyAdmin):
    list_display = ("event", "user_openid", "status", "create_time", "received_at")
    list_filter = ("event", "status")
    search_fields = ("user_openid",)
    search_help_text = "The TikTok user's open_id."
    readonly_fields = (
        "event",
        "user_openid",
        "create_time",
        "content",
        "status",
        "received_at",
        "dedup_key",
    )
    fields = readonly_fields
