"""Deliveries to the webhook, signed exactly as TikTok (here: the fake TikTok) signs them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from testing.fake_tiktok.webhooks import sign

URL = "/api/webhooks/tiktok"
Deliver = Callable[..., Any]


def event_body(
    open_id: str,
    *,
    event: str = "authorization.removed",
    reason: int | None = 1,
    create_time: int | None = None,
    **overrides: Any,
) -> bytes:
    payload = {
        "client_key": settings.TIKTOK_CLIENT_KEY,
        "event": event,
        "create_time": int(time.time()) if create_time is None else create_time,
        "user_openid": open_id,
        "content": json.dumps({} if reason is None else {"reason": reason}),
        **overrides,
    }
    return json.dumps(payload).encode()


@pytest.fixture
def deliver(db: None) -> Deliver:
    """POSTs `body` with a TikTok-Signature (or the given `signature`), no JWT, no CSRF token."""
    client = Client(enforce_csrf_checks=True)

    def post(
        body: bytes,
        *,
        signature: str | None = None,
        timestamp: int | None = None,
        secret: str | None = None,
    ):
        if signature is None:
            stamp = int(time.time()) if timestamp is None else timestamp
            signature = sign(secret or settings.TIKTOK_CLIENT_SECRET, stamp, body)
        headers = {} if signature == "" else {"TikTok-Signature": signature}
        return client.post(URL, body, content_type="application/json", headers=headers)

    return post
