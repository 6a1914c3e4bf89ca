"""Sending deliveries: fan an event out, attempt one delivery, and the scan that loses none.

At least once, never twice after a success: a worker claims a pending, due delivery with a
conditional UPDATE that sets a lease (one attempt plus a margin) and counts the attempt, sends
it outside any transaction, then records the outcome on the still-pending row. A delivery of an
endpoint that did not answer its last attempt waits instead (hold.py). A worker killed
mid-attempt leaves the lease to lapse; the scan (every schedule.SCAN_INTERVAL_SECONDS) enqueues the
delivery again. A succeeded or failed row is never claimed again; a redelivery is a new row.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from apps.audit.models import AuditAction
from apps.audit.services import SYSTEM
from apps.core.fields import TokenUnreadableError
from apps.core.metrics import outbound_delivery_counted
from apps.events.models import Event
from apps.outbound_webhooks.audit import endpoint_audit
from apps.outbound_webhooks.hold import hold_locked, hold_probe_start, hold_record
from apps.outbound_webhooks.models import (
    DISABLED_FAILING,
    Delivery,
    DeliveryStatus,
    WebhookEndpoint,
)
from apps.outbound_webhooks.signing import event_body, signed_headers
from apps.outbound_webhooks.transport import Outcome, endpoint_post

logger = logging.getLogger(__name__)

DELIVER_TASK = "outbound_webhooks.deliver"
QUEUE = "webhooks"
# A due delivery whose message should have run by now (or a fan-out that should have happened).
SCAN_GRACE = timedelta(seconds=60)
SCAN_BATCH = 1000
LEASE_MARGIN_SECONDS = 30
# A retry this soon is enqueued with a countdown; a later one is left to the scan (a broker
# holding a countdown longer than Redis's visibility timeout would hand it out twice).
COUNTDOWN_MAX_SECONDS = 300


def deliveries_enqueue(delivery_ids: Iterable[str], *, countdown: float | None = None) -> None:
    """A message per delivery; a broker failure is logged (the scan enqueues them later)."""
    try:
        for delivery_id in delivery_ids:
            current_app.signature(DELIVER_TASK, args=(delivery_id,)).apply_async(
                countdown=countdown, queue=QUEUE
            )
    except Exception as exc:
        logger.warning("Deliveries not enqueued (%s): the scan picks them up", exc)


@transaction.atomic
def events_fan_out(*, event_ids: list[str]) -> int:
    """Creates the deliveries of these events (each endpoint of the workspace subscribed, active,
    and older than the event) and enqueues them after commit. Idempotent: an event is fanned
    out once (its row locked and marked), whoever gets to it first."""
    events = list(
        Event.objects.select_for_update(skip_locked=True).filter(
            pk__in=event_ids, fanned_out_at__isnull=True
        )
    )
    if not events:
        return 0
    endpoints = defaultdict(list)
    for endpoint in WebhookEndpoint.objects.filter(
        workspace_id__in={event.workspace_id for event in events}, is_active=True
    ):
        endpoints[endpoint.workspace_id].append(endpoint)
    now = timezone.now()
    deliveries = [
        Delivery(endpoint=endpoint, event=event, next_attempt_at=now)
        for event in events
        for endpoint in endpoints[event.workspace_id]
        if endpoint.created_at <= event.created_at and endpoint.subscribed(event.type)
    ]
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    Event.objects.filter(pk__in=[event.pk for event in events]).update(fanned_out_at=now)
    ids = [str(delivery.id) for delivery in deliveries]
    transaction.on_commit(lambda: deliveries_enqueue(ids))
    return len(ids)


def _claimable(delivery_id: uuid.UUID | str, now: datetime) -> QuerySet[Delivery]:
    """The delivery while pending, due, and held by no worker."""
    return Delivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))


def _claim(delivery_id: uuid.UUID | str, now: datetime) -> tuple[Delivery, bool] | None:
    """The delivery leased, its attempt counted, and whether its attempt probes a held endpoint;
    None when it is not to be attempted now. An endpoint never held costs nothing more: its
    `held_until` comes with the delivery's row, read anyway."""
    delivery = next(iter(_claimable(delivery_id, now).select_related("endpoint", "event")), None)
    if delivery is None:
        return None
    lease_until = now + timedelta(
        seconds=settings.OUTBOUND_WEBHOOK_TIMEOUT_SECONDS + LEASE_MARGIN_SECONDS
    )
    held_until = delivery.endpoint.held_until
    if held_until is None:
        return (delivery, False) if _lease_take(delivery, now, lease_until) else None
    if held_until <= now:  # lapsed: one claim probes, under the endpoint's row lock
        with transaction.atomic():
            held_until = hold_locked(delivery.endpoint_id)
            if held_until is None or held_until <= now:
                if not _lease_take(delivery, now, lease_until):
                    return None
                if held_until is None:  # an answer released it meanwhile: an ordinary attempt
                    return delivery, False
                hold_probe_start(delivery.endpoint_id, lease_until)
                return delivery, True
    _defer(delivery, held_until, now)
    return None


def _defer(delivery: Delivery, held_until: datetime, now: datetime) -> None:
    """Not attempted, not counted: due when the hold ends, and left to the scan (a held
    endpoint's backlog sends no message). An admin's redelivery or ping is enqueued for then."""
    if _claimable(delivery.pk, now).update(next_attempt_at=held_until) and delivery.manual:
        deliveries_enqueue([str(delivery.pk)], countdown=(held_until - now).total_seconds())


def _lease_take(delivery: Delivery, now: datetime, lease_until: datetime) -> bool:
    """The conditional UPDATE only one worker wins: the delivery still claimable, and not
    attempted since it was read (so `attempts` is exact)."""
    won = (
        _claimable(delivery.pk, now)
        .filter(attempts=delivery.attempts)
        .update(lease_until=lease_until, attempts=F("attempts") + 1)
    )
    if won:
        delivery.attempts += 1
        delivery.lease_until = lease_until
    return bool(won)


def delivery_attempt(*, delivery_id: uuid.UUID | str) -> Outcome | None:
    """One attempt of a pending, due delivery nobody holds; None when there was none to make
    (its endpoint is held: deferred, see hold.py)."""
    claim = _claim(delivery_id, timezone.now())
    if claim is None:
        return None
    delivery, probing = claim
    endpoint, event = delivery.endpoint, delivery.event
    if not (endpoint.is_active or delivery.manual):
        outcome = Outcome(error="endpoint inactive")
        hold_record(endpoint, outcome, probing=probing)
        _record(delivery, outcome, final=True)
        return outcome
    body = event_body(event)
    try:
        headers = signed_headers(endpoint=endpoint, event_id=str(event.id), body=body)
    except TokenUnreadableError:
        # An operator dropped the key the secret was stored under: retried on the schedule,
        # so putting the key back in FIELD_ENCRYPTION_KEY lets the delivery go out.
        logger.error("Webhook endpoint %s: secret opens with no FIELD_ENCRYPTION_KEY", endpoint.pk)
        outcome = Outcome(error="not sent: the endpoint's secret opens with no configured key")
    else:
        outcome = endpoint_post(url=endpoint.url, body=body, headers=headers)
    hold_record(endpoint, outcome, probing=probing)
    _record(delivery, outcome)
    return outcome


def _record(delivery: Delivery, outcome: Outcome, *, final: bool = False) -> None:
    now = timezone.now()
    schedule = settings.OUTBOUND_WEBHOOK_RETRY_SCHEDULE
    values: dict[str, object] = {
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
        "lease_until": None,
        "next_attempt_at": None,
    }
    delay = None
    if outcome.ok:
        values.update(status=DeliveryStatus.SUCCEEDED, delivered_at=now)
    elif final or delivery.attempts > len(schedule):
        values["status"] = DeliveryStatus.FAILED
    else:
        delay = schedule[delivery.attempts - 1]
        values["next_attempt_at"] = now + timedelta(seconds=delay)
    with transaction.atomic():
        if not Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
            **values
        ):
            return
        _streak_record(delivery.endpoint, values.get("status"))
    outbound_delivery_counted(str(values.get("status", "failed_attempt")))
    logger.info(
        "Webhook delivery %s attempt %s: %s",
        delivery.pk,
        delivery.attempts,
        outcome.status_code or outcome.error,
    )
    if delay is not None and delay <= COUNTDOWN_MAX_SECONDS:
        deliveries_enqueue([str(delivery.pk)], countdown=delay)


def _streak_record(endpoint: WebhookEndpoint, status: object) -> None:
    """A delivery that ended: success resets the endpoint's streak of failed deliveries; a
    failure lengthens it, and OUTBOUND_WEBHOOK_DISABLE_AFTER_FAILURES of them disable it."""
    endpoints = WebhookEndpoint.objects.filter(pk=endpoint.pk)
    if status == DeliveryStatus.SUCCEEDED and endpoint.failed_streak:
        endpoints.update(failed_streak=0)
    elif status == DeliveryStatus.FAILED:
        endpoints.update(failed_streak=F("failed_streak") + 1)
        limit = settings.OUTBOUND_WEBHOOK_DISABLE_AFTER_FAILURES
        if endpoints.filter(is_active=True, failed_streak__gte=limit).update(
            is_active=False, disabled_reason=DISABLED_FAILING, updated_at=timezone.now()
        ):
            logger.warning("Webhook endpoint %s disabled: %s failed deliveries", endpoint.pk, limit)
            _disabling_audit(endpoint, limit)


def _disabling_audit(endpoint: WebhookEndpoint, failed: int) -> None:
    """The service disabled the endpoint: the update an admin would have made, by `system`,
    so the workspace's audit log says why its endpoint stopped."""
    endpoint_audit(
        endpoint,
        AuditAction.WEBHOOK_ENDPOINT_UPDATE,
        SYSTEM,
        changes={
            "before": {"is_active": True, "disabled_reason": None},
            "after": {"is_active": False, "disabled_reason": DISABLED_FAILING},
        },
        metadata={"failed_deliveries": failed},
    )


def deliveries_scan() -> tuple[int, int]:
    """Fans out the events whose message was lost, and enqueues the deliveries that are due
    and whose message is overdue or lost (a killed worker's lapsed lease, a retry left to the
    scan). Duplicate messages are harmless: the claim lets one through."""
    now = timezone.now()
    late = now - SCAN_GRACE
    events = [
        str(pk)
        for pk in Event.objects.filter(fanned_out_at__isnull=True, created_at__lt=late)
        .order_by("created_at")
        .values_list("pk", flat=True)[:SCAN_BATCH]
    ]
    if events:
        events_fan_out(event_ids=events)
    due = (
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=late)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SCAN_BATCH]
    )
    deliveries = [str(pk) for pk in due]
    deliveries_enqueue(deliveries)
    return len(events), len(deliveries)


def deliveries_prune() -> int:
    """Deletes deliveries, and events, older than OUTBOUND_WEBHOOK_RETENTION_DAYS."""
    cutoff = timezone.now() - timedelta(days=settings.OUTBOUND_WEBHOOK_RETENTION_DAYS)
    deleted, _ = Delivery.objects.filter(created_at__lt=cutoff).delete()
    Event.objects.filter(created_at__lt=cutoff).delete()
    return deleted
