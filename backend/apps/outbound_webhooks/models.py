"""A workspace's webhook endpoints and the deliveries of events to them.

A delivery is one event for one endpoint: `pending` while attempts remain (`next_attempt_at`
says when; `lease_until` while a worker holds it), then `succeeded` or `failed`, never sent again
except by a redelivery (a new row, `manual`, of the same event). Endpoint secrets are stored
encrypted (FIELD_ENCRYPTION_KEY) and appear in no schema but the create and rotate answers.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from apps.core.fields import EncryptedTokenField
from apps.events.models import Event

ALL_EVENTS = "*"
DISABLED_FAILING = "failing"
AUDIT_RESOURCE = "webhook_endpoint"  # the audit log's resource_type of an endpoint


class WebhookEndpoint(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "workspaces.Workspace",
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        db_index=False,
    )
    url = models.CharField(max_length=2000)
    # Event types, or ["*"] for every one.
    events = models.JSONField(default=list)
    description = models.CharField(max_length=200, blank=True, default="")
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001
    secret = EncryptedTokenField()
    # The secret before the last rotation, still signing until `previous_secret_expires_at`.
    previous_secret = EncryptedTokenField(blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    # Deliveries ended `failed` in a row; OUTBOUND_WEBHOOK_DISABLE_AFTER_FAILURES disables it.
    failed_streak = models.PositiveIntegerField(default=0)
    # Set when an attempt timed out or could not connect: its deliveries wait until then, and
    # one delivery at a time probes it after (delivery.py, hold.py). Cleared by any HTTP answer.
    held_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["workspace", "-created_at", "-id"], name="whep_ws_created"),
        ]

    def __str__(self) -> str:
        return self.url

    def subscribed(self, event_type: str) -> bool:
        return ALL_EVENTS in self.events or event_type in self.events


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Delivery(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    # A test ping or a redelivery: asked for by an admin, sent even to an inactive endpoint.
    manual = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # While in the future, one worker holds the delivery (one attempt, timeout included).
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ("-created_at", "-id")
        constraints = [
            # One fan-out delivery per event and endpoint, however many times it is fanned out.
            models.UniqueConstraint(
                fields=["event", "endpoint"],
                condition=models.Q(manual=False),
                name="whdel_one_per_event_endpoint",
            ),
        ]
        indexes = [
            models.Index(fields=["endpoint", "-created_at", "-id"], name="whdel_ep_created"),
            models.Index(
                fields=["endpoint", "status", "-created_at", "-id"], name="whdel_ep_status"
            ),
            # The scan: pending deliveries due (or abandoned by a dead worker).
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="whdel_pending_due",
            ),
            models.Index(fields=["created_at"], name="whdel_created"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} -> {self.endpoint_id} ({self.status})"
