"""The signature exactly as the contract spells it, computed here by hand (not by the library
that signs): HMAC-SHA256 keyed with the base64-decoded secret after `whsec_`, over
`<webhook-id>.<webhook-timestamp>.<body>`, base64-encoded, `v1,` before it."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

from apps.outbound_webhooks.models import WebhookEndpoint
from apps.outbound_webhooks.signing import secret_new, signed_headers

AT = datetime(2026, 3, 2, 9, 0, 30, 500000, tzinfo=UTC)


def _by_hand(secret: str, event_id: str, timestamp: str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{event_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def test_the_headers_carry_the_contracts_signature() -> None:
    secret = secret_new()
    assert 24 <= len(base64.b64decode(secret.removeprefix("whsec_"))) <= 64
    endpoint = WebhookEndpoint(secret=secret)
    body = '{"id": "e1", "data": {"name": "Zoë"}}'.encode()

    headers = signed_headers(endpoint=endpoint, event_id="e1", body=body, now=AT)

    assert headers["webhook-id"] == "e1"
    assert headers["webhook-timestamp"] == "1772442030"
    assert headers["webhook-signature"] == _by_hand(secret, "e1", "1772442030", body)
    assert headers["content-type"] == "application/json"
