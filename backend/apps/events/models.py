"""What happened in a workspace that integrators may hear about: the outbox of outbound webhooks.

An event row is written in the transaction of the change it tells about, so it exists if and
only if the change committed; apps.outbound_webhooks (above every app that emits) turns it
into deliveries. Adding an event type is one line in EventType and one `event_emit` call.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class EventType(models.TextChoices):
    ACCOUNT_CONNECTED = "account.connected"
    ACCOUNT_DELETED = "account.deleted"
    ACCOUNT_STATUS_CHANGED = "account.status_changed"
    POST_PUBLISHED = "post.published"
    POST_FAILED = "post.failed"
    POST_SENT_TO_INBOX = "post.sent_to_inbox"
    POST_REJECTED = "post.rejected"
    JOB_FINISHED = "job.finished"
    PING = "ping"


class Event(models.Model):
    # The `id` of the body and the `webhook-id` header: the same for every endpoint and attempt.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="events", db_index=False
    )
    type = models.CharField(max_length=64, choices=EventType.choices)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    # Set once its deliveries exist; NULL rows older than a moment are picked up by the scan.
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        indexes = [
            models.Index(fields=["workspace", "-created_at"], name="event_ws_created"),
            models.Index(
                fields=["created_at"],
                condition=models.Q(fanned_out_at__isnull=True),
                name="event_not_fanned_out",
            ),
            models.Index(fields=["created_at"], name="event_created"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"
