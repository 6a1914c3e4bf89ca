"""Endpoints on loopback receivers: tests allow plain http and private addresses."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from apps.audit.services import RequestMeta
from apps.outbound_webhooks.models import WebhookEndpoint
from apps.outbound_webhooks.services import EndpointDraft, endpoint_create
from testing.factories import personal_workspace


@pytest.fixture
def loopback(settings) -> None:
    settings.OUTBOUND_WEBHOOKS_ALLOW_HTTP = True
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = True
    settings.OUTBOUND_WEBHOOK_TIMEOUT_SECONDS = 2.0


@pytest.fixture
def make_endpoint(loopback, user) -> Callable[..., tuple[WebhookEndpoint, str]]:
    def make(url: str, events: list[str] | None = None) -> tuple[WebhookEndpoint, str]:
        return endpoint_create(
            workspace_id=personal_workspace(user).id,
            draft=EndpointDraft(url=url, events=events or ["*"]),
            meta=RequestMeta(),
        )

    return make
