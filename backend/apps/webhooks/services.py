"""Receiving a TikTok webhook: verify, parse, store once, run its registered handler."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.errors import WebhookPayloadInvalid
from apps.webhooks.envelope import WebhookEnvelope, envelope_parse
from apps.webhooks.models import WebhookEvent, WebhookStatus
from apps.webhooks.registry import webhook_handler
from apps.webhooks.signature import signature_verify

logger = logging.getLogger(__name__)


def webhook_receive(*, body: bytes, signature: str | None, now: float | None = None) -> str:
    """The answer's status. Refusals (InvalidSignature, WebhookPayloadInvalid) store nothing."""
    signature_verify(
        header=signature,
        body=body,
        secret=settings.TIKTOK_CLIENT_SECRET,
        tolerance=settings.TIKTOK_WEBHOOK_TOLERANCE_SECONDS,
        now=time.time() if now is None else now,
    )
    envelope = envelope_parse(body)
    if envelope.client_key != settings.TIKTOK_CLIENT_KEY:
        error = {
            "loc": ["body", "client_key"],
            "msg": "Not this app's client key.",
            "type": "value_error",
        }
        raise WebhookPayloadInvalid([error])
    status = _event_store(envelope)
    logger.info("TikTok webhook %s for %s: %s", envelope.event, envelope.user_openid, status)
    return status


@transaction.atomic
def _event_store(envelope: WebhookEnvelope) -> WebhookStatus:
    """The event row and the handler's writes commit together, or neither does."""
    # Insert first, in a savepoint: the unique key decides which of two racing deliveries runs
    # the handler (the other waits on the key, then finds it taken). A read before the write
    # would let both through (api/webhooks/tests/test_concurrent_deliveries.py).
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                dedup_key=envelope.dedup_key,
                event=envelope.event,
                user_openid=envelope.user_openid,
                create_time=envelope.create_time,
                content=envelope.content,
                status=WebhookStatus.IGNORED,
            )
    except IntegrityError:
        return WebhookStatus.DUPLICATE
    handler = webhook_handler(envelope.event)
    status = handler(envelope) if handler else WebhookStatus.IGNORED
    if status != event.status:
        WebhookEvent.objects.filter(pk=event.pk).update(status=status)
    return status


# TikTok retries a delivery for 72 hours: an event record older than that dedups nothing.
WEBHOOK_EVENT_RETENTION = timedelta(days=4)


def webhook_events_prune(*, now: datetime | None = None) -> int:
    """Deletes event records past TikTok's retry window (daily retention job)."""
    cutoff = (now or timezone.now()) - WEBHOOK_EVENT_RETENTION
    return WebhookEvent.objects.filter(received_at__lt=cutoff).delete()[0]
