"""The body TikTok posts to the webhook, parsed only after its signature checked out.

Reference: https://developers.tiktok.com/doc/webhooks-events
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from apps.core.errors import WebhookPayloadInvalid

# 9999-12-31T23:59:59Z: any later create_time cannot be a datetime.
MAX_CREATE_TIME = 253_402_300_799


class WebhookEnvelope(BaseModel):
    """`content` stays the string TikTok sent: it is part of the event's identity."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    client_key: StrictStr = Field(min_length=1, max_length=128)
    event: StrictStr = Field(min_length=1, max_length=64)
    create_time: StrictInt = Field(ge=0, le=MAX_CREATE_TIME)
    user_openid: StrictStr = Field(min_length=1, max_length=128)
    content: StrictStr = Field(max_length=65_536)

    @property
    def dedup_key(self) -> str:
        """Equal for two deliveries of the same event, whatever the JSON spacing around them."""
        identity = json.dumps([self.event, self.user_openid, self.create_time, self.content])
        return hashlib.sha256(identity.encode()).hexdigest()


def _invalid(exc: ValidationError, prefix: tuple[str, ...]) -> WebhookPayloadInvalid:
    return WebhookPayloadInvalid(
        [
            {"loc": [*prefix, *err["loc"]], "msg": err["msg"], "type": err["type"]}
            for err in exc.errors(include_url=False, include_input=False)
        ]
    )


def envelope_parse(body: bytes) -> WebhookEnvelope:
    """The envelope, or WebhookPayloadInvalid naming each bad value."""
    try:
        return WebhookEnvelope.model_validate_json(body)
    except ValidationError as exc:
        raise _invalid(exc, ("body",)) from None


def content_parse(envelope: WebhookEnvelope, model: type[BaseModel]) -> Any:
    """The event's `content` (a JSON string in the envelope) as `model`."""
    try:
        return model.model_validate_json(envelope.content)
    except ValidationError as exc:
        raise _invalid(exc, ("body", "content")) from None
