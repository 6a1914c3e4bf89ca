"""Standard Webhooks signing (the `standardwebhooks` package): the body and its headers."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from math import floor
from typing import Any

from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from apps.core.fields import ensure_readable
from apps.core.renderers import json_dumps
from apps.events.models import Event
from apps.outbound_webhooks.models import WebhookEndpoint

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
SECRET_BYTES = 32  # the contract allows 24 to 64


def secret_new() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def event_body(event: Event) -> bytes:
    """The body every attempt of every endpoint gets for this event, byte for byte."""
    body: dict[str, Any] = {
        "id": str(event.id),
        "type": event.type,
        "created_at": event.created_at,
        "workspace_id": str(event.workspace_id),
        "data": event.data,
    }
    return json_dumps(body)


def signing_secrets(endpoint: WebhookEndpoint, *, now: datetime) -> list[str]:
    """The current secret, and the previous one during the rotation overlap; raises
    TokenUnreadableError for one no FIELD_ENCRYPTION_KEY opens (never signs with ciphertext)."""
    keys = [ensure_readable(endpoint.secret)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        keys.append(ensure_readable(endpoint.previous_secret))
    return keys


def signed_headers(
    *, endpoint: WebhookEndpoint, event_id: str, body: bytes, now: datetime | None = None
) -> dict[str, str]:
    """`webhook-id`, `webhook-timestamp` (this attempt's) and `webhook-signature` (one
    `v1,<base64>` per secret, separated by a space)."""
    at = now or timezone.now()
    signatures = [
        Webhook(key).sign(msg_id=event_id, timestamp=at, data=body)
        for key in signing_secrets(endpoint, now=at)
    ]
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(floor(at.timestamp())),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
        "user-agent": "tiktok-accounts-service-webhooks/1",
    }
