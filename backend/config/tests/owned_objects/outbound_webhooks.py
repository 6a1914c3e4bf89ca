"""Webhook endpoints a user's workspace owns (`{endpoint_id}`) and their deliveries
(`{delivery_id}`)."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser

from apps.events.models import Event
from apps.outbound_webhooks.models import Delivery, WebhookEndpoint
from apps.outbound_webhooks.signing import secret_new
from testing.factories import personal_workspace
from testing.fake_tiktok import FakeTikTok


def webhook_endpoint(user: AbstractBaseUser, fake: FakeTikTok) -> uuid.UUID:
    """An endpoint whose URL never resolves to anything reachable: nothing is ever sent."""
    return WebhookEndpoint.objects.create(
        workspace=personal_workspace(user),
        url="https://hooks.invalid/tiktok",
        events=["*"],
        secret=secret_new(),
    ).id


def webhook_delivery(user: AbstractBaseUser, fake: FakeTikTok) -> uuid.UUID:
    """A delivery already failed, of a ping to a new endpoint of the user."""
    endpoint = WebhookEndpoint.objects.get(pk=webhook_endpoint(user, fake))
    event = Event.objects.create(workspace=endpoint.workspace, type="ping", data={})
    return Delivery.objects.create(endpoint=endpoint, event=event, status="failed").id
