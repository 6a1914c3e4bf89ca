"""Managing a workspace's endpoints (admins): create, change, delete, rotate, test, redeliver.

Every write is audited (resource `webhook_endpoint`); no audit entry, log line or error holds a
secret. The URL is checked against the SSRF rules (addresses.py) at creation and on change.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit.models import AuditAction
from apps.audit.services import RequestMeta
from apps.core.errors import InvalidInput
from apps.events.models import Event, EventType
from apps.outbound_webhooks.addresses import AddressRefused, target_check
from apps.outbound_webhooks.audit import endpoint_audit
from apps.outbound_webhooks.delivery import deliveries_enqueue
from apps.outbound_webhooks.models import ALL_EVENTS, Delivery, WebhookEndpoint
from apps.outbound_webhooks.signing import secret_new

EDITABLE = ("url", "events", "description", "is_active")


def url_checked(url: str) -> str:
    """`url`, or 422 naming why an endpoint may not be there."""
    try:
        target_check(url)
    except AddressRefused as exc:
        error = {"loc": ["body", "payload", "url"], "msg": f"The URL {exc}.", "type": "value_error"}
        raise InvalidInput([error], detail=f"The URL {exc}.") from None
    return url


def events_normalized(events: list[str]) -> list[str]:
    """Each type once, in the order given; `*` anywhere means every type."""
    return [ALL_EVENTS] if ALL_EVENTS in events else list(dict.fromkeys(events))


@dataclass(frozen=True)
class EndpointDraft:
    url: str
    events: list[str]
    description: str = ""


def endpoint_create(
    *, workspace_id: uuid.UUID, draft: EndpointDraft, meta: RequestMeta
) -> tuple[WebhookEndpoint, str]:
    """The new endpoint and its secret (returned here only)."""
    url_checked(draft.url)
    secret = secret_new()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            workspace_id=workspace_id,
            url=draft.url,
            events=events_normalized(draft.events),
            description=draft.description,
            secret=secret,
        )
        endpoint_audit(
            endpoint,
            AuditAction.WEBHOOK_ENDPOINT_CREATE,
            meta,
            metadata={"url": endpoint.url, "events": endpoint.events},
        )
    return endpoint, secret


@transaction.atomic
def endpoint_update(
    *, endpoint: WebhookEndpoint, values: dict[str, Any], meta: RequestMeta
) -> WebhookEndpoint:
    """Changes the given fields; re-activating clears `disabled_reason` and the failure streak."""
    if "url" in values:
        url_checked(values["url"])
    if "events" in values:
        values["events"] = events_normalized(values["events"])
    before, after = {}, {}
    for name in EDITABLE:
        if name in values and getattr(endpoint, name) != values[name]:
            before[name], after[name] = getattr(endpoint, name), values[name]
            setattr(endpoint, name, values[name])
    if after.get("is_active") is True:
        endpoint.disabled_reason, endpoint.failed_streak = None, 0
    if after:
        endpoint.save()
        endpoint_audit(
            endpoint,
            AuditAction.WEBHOOK_ENDPOINT_UPDATE,
            meta,
            changes={"before": before, "after": after},
        )
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint, meta: RequestMeta) -> None:
    """Deletes the endpoint with its deliveries: the pending ones are never sent."""
    endpoint_audit(
        endpoint, AuditAction.WEBHOOK_ENDPOINT_DELETE, meta, metadata={"url": endpoint.url}
    )
    endpoint.delete()


@transaction.atomic
def endpoint_secret_rotate(*, endpoint: WebhookEndpoint, meta: RequestMeta) -> str:
    """A new secret; the old one keeps signing for OUTBOUND_WEBHOOK_SECRET_OVERLAP_SECONDS."""
    secret = secret_new()
    overlap = timedelta(seconds=settings.OUTBOUND_WEBHOOK_SECRET_OVERLAP_SECONDS)
    endpoint.previous_secret, endpoint.secret = endpoint.secret, secret
    endpoint.previous_secret_expires_at = timezone.now() + overlap
    endpoint.save()
    endpoint_audit(
        endpoint,
        AuditAction.WEBHOOK_ENDPOINT_ROTATE,
        meta,
        metadata={"previous_secret_expires_at": endpoint.previous_secret_expires_at.isoformat()},
    )
    return secret


def _manual_delivery(endpoint: WebhookEndpoint, event: Event) -> Delivery:
    delivery = Delivery.objects.create(
        endpoint=endpoint, event=event, manual=True, next_attempt_at=timezone.now()
    )
    transaction.on_commit(lambda: deliveries_enqueue([str(delivery.id)]))
    return delivery


@transaction.atomic
def endpoint_ping(*, endpoint: WebhookEndpoint) -> Delivery:
    """A `ping` event delivered to this endpoint alone (never fanned out to the others)."""
    event = Event.objects.create(
        workspace_id=endpoint.workspace_id,
        type=EventType.PING,
        data={},
        fanned_out_at=timezone.now(),
    )
    return _manual_delivery(endpoint, event)


@transaction.atomic
def delivery_redeliver(*, delivery: Delivery) -> Delivery:
    """One more delivery of the same event (same `webhook-id`) to the same endpoint, now."""
    return _manual_delivery(delivery.endpoint, delivery.event)
