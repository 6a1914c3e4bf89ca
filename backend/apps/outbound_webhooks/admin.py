"""Read-only views of endpoints and deliveries for ops staff; the secret is never shown."""

from __future__ import annotations

from django.contrib import admin

from apps.core.admin import ViewOnlyAdmin
from apps.outbound_webhooks.models import Delivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ViewOnlyAdmin):
    list_display = ("url", "workspace", "is_active", "disabled_reason", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url",)
    # Explicit: the secrets (even as ciphertext) are in no page.
    fields = (
        "id",
        "workspace",
        "url",
        "events",
        "description",
        "is_active",
        "disabled_reason",
        "failed_streak",
        "held_until",
        "previous_secret_expires_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields


@admin.register(Delivery)
class DeliveryAdmin(ViewOnlyAdmin):
    list_display = ("id", "endpoint", "status", "attempts", "last_status_code", "created_at")
    list_filter = ("status",)
    list_select_related = ("endpoint",)
    fields = (
        "id",
        "endpoint",
        "event",
        "manual",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "lease_until",
        "created_at",
        "delivered_at",
    )
    readonly_fields = fields
