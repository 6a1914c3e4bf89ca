"""Reads of a workspace's endpoints and their deliveries."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from apps.core.cursor import Page, keyset_page
from apps.core.errors import DeliveryNotFound, WebhookEndpointNotFound
from apps.outbound_webhooks.models import Delivery, DeliveryStatus, WebhookEndpoint
from apps.workspaces.access import WorkspaceAccess


def endpoint_list(*, workspace_id: uuid.UUID) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(workspace_id=workspace_id)


def endpoint_get(*, workspace_id: uuid.UUID, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    """The workspace's endpoint, or WEBHOOK_ENDPOINT_NOT_FOUND (never saying whose)."""
    endpoint = WebhookEndpoint.objects.filter(workspace_id=workspace_id, id=endpoint_id).first()
    if endpoint is None:
        raise WebhookEndpointNotFound
    return endpoint


def delivery_list_page(
    *,
    access: WorkspaceAccess,
    endpoint_id: uuid.UUID,
    limit: int,
    cursor: str | None = None,
    status: DeliveryStatus | None = None,
) -> Page[Delivery]:
    """The endpoint's deliveries, newest first (404 for another workspace's endpoint)."""
    endpoint = endpoint_get(workspace_id=access.id, endpoint_id=endpoint_id)
    deliveries = Delivery.objects.filter(endpoint=endpoint).select_related("event")
    if status is not None:
        deliveries = deliveries.filter(status=status)
    return keyset_page(
        deliveries,
        limit=limit,
        cursor=cursor,
        owner=access.owner,
        listing=f"webhook_deliveries:{endpoint.id}",
        filters={"status": status},
    )


def delivery_get(*, workspace_id: uuid.UUID, delivery_id: uuid.UUID) -> Delivery:
    delivery = (
        Delivery.objects.select_related("endpoint", "event")
        .filter(id=delivery_id, endpoint__workspace_id=workspace_id)
        .first()
    )
    if delivery is None:
        raise DeliveryNotFound
    return delivery
