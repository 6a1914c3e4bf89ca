"""The admin shows endpoints and deliveries read-only, never a secret (plaintext or ciphertext)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from apps.audit.services import RequestMeta
from apps.events.models import Event, EventType
from apps.outbound_webhooks.models import Delivery, WebhookEndpoint
from apps.outbound_webhooks.services import endpoint_secret_rotate
from testing.factories import personal_workspace

pytestmark = pytest.mark.django_db


def _stored() -> list[str]:
    """The endpoints' secrets as the table holds them (ciphertext)."""
    table = connection.ops.quote_name(WebhookEndpoint._meta.db_table)
    with connection.cursor() as cursor:
        # The table name comes from the model's metadata, not from input.
        cursor.execute(f"SELECT secret, previous_secret FROM {table}")  # noqa: S608
        return [value for row in cursor.fetchall() for value in row]


def test_endpoints_and_deliveries_are_shown_without_their_secret(
    admin_client: Client, user, make_endpoint
) -> None:
    workspace = personal_workspace(user)
    endpoint, first = make_endpoint("http://127.0.0.1:9/hooks-in")
    second = endpoint_secret_rotate(endpoint=endpoint, meta=RequestMeta())
    event = Event.objects.create(workspace=workspace, type=EventType.PING)
    delivery = Delivery.objects.create(endpoint=endpoint, event=event)
    secrets = [first, second, first[6:], second[6:], *_stored()]

    pages = [
        admin_client.get(reverse("admin:outbound_webhooks_webhookendpoint_changelist")),
        admin_client.get(
            reverse("admin:outbound_webhooks_webhookendpoint_changelist"), {"q": "hooks-in"}
        ),
        admin_client.get(
            reverse("admin:outbound_webhooks_webhookendpoint_change", args=[endpoint.pk])
        ),
        admin_client.get(reverse("admin:outbound_webhooks_delivery_changelist")),
        admin_client.get(reverse("admin:outbound_webhooks_delivery_change", args=[delivery.pk])),
    ]

    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200
        assert "hooks-in" in html
        assert [s for s in secrets if s in html] == []
        assert "field-secret" not in html
        assert "field-previous_secret " not in html
    assert "field-held_until" in pages[2].content.decode()  # a hold shows on the endpoint's page
    for model in ("webhookendpoint", "delivery"):
        assert admin_client.get(reverse(f"admin:outbound_webhooks_{model}_add")).status_code == 403
