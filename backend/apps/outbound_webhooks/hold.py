"""A per-endpoint hold (a circuit breaker), so an endpoint that does not answer ties up about one
worker slot.

Without it, an endpoint that hangs with a backlog of deliveries would occupy every slot of the
`webhooks` worker for backlog x timeout / concurrency, every other endpoint's deliveries waiting
behind it. An attempt that timed out or could not connect holds the endpoint for the first delay
of OUTBOUND_WEBHOOK_RETRY_SCHEDULE: the claims of its deliveries defer them to `held_until`
(unattempted, uncounted) for the scan. Once the hold lapses one claim probes it, under the
endpoint's row lock, holding it for its attempt's lease meanwhile; any HTTP answer releases it.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from apps.outbound_webhooks.models import WebhookEndpoint
from apps.outbound_webhooks.transport import Outcome

logger = logging.getLogger(__name__)

# The hold when OUTBOUND_WEBHOOK_RETRY_SCHEDULE is empty (its first delay otherwise).
HOLD_WITHOUT_RETRIES_SECONDS = 5


def hold_seconds() -> float:
    schedule = settings.OUTBOUND_WEBHOOK_RETRY_SCHEDULE
    return schedule[0] if schedule else HOLD_WITHOUT_RETRIES_SECONDS


def hold_locked(endpoint_id: uuid.UUID) -> datetime | None:
    """The endpoint's `held_until`, its row locked until the caller's transaction ends."""
    held = (
        WebhookEndpoint.objects.select_for_update()
        .filter(pk=endpoint_id)
        .values_list("held_until", flat=True)
    )
    return next(iter(held), None)


def hold_probe_start(endpoint_id: uuid.UUID, until: datetime) -> None:
    """The probe's attempt holds the endpoint for its lease: concurrent claims defer."""
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(held_until=until)


def hold_record(endpoint: WebhookEndpoint, outcome: Outcome, *, probing: bool) -> None:
    """After an attempt: no answer holds the endpoint. A probe that got an answer releases it,
    and so does one that ended otherwise (a refused address, an unreadable secret): one poison
    delivery never holds the others. Free for an endpoint that answers and was not held."""
    endpoints = WebhookEndpoint.objects.filter(pk=endpoint.pk)
    if not outcome.unanswered:
        if probing:
            endpoints.update(held_until=None)
            logger.info("Webhook endpoint %s is no longer held", endpoint.pk)
        return
    hold = hold_seconds()
    until = timezone.now() + timedelta(seconds=hold)
    if probing:
        endpoints.update(held_until=until)
    elif endpoints.filter(held_until__isnull=True).update(held_until=until):
        logger.warning(
            "Webhook endpoint %s (host %s) held %s s: %s; its deliveries wait, then one probes",
            endpoint.pk,
            urlsplit(endpoint.url).hostname,
            hold,
            outcome.error,
        )
    else:  # held meanwhile by another attempt: never shorten a probe's hold
        endpoints.filter(held_until__lt=until).update(held_until=until)
