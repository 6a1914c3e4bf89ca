"""Request and response shapes of `/api/webhook-endpoints` and `/api/webhook-deliveries`.

No schema has the secret except the create and rotate answers."""

import enum
import uuid
from datetime import datetime

from ninja import Field, Schema

from apps.core.schemas import InSchema
from apps.events.models import EventType
from apps.outbound_webhooks.addresses import MAX_URL_LENGTH
from apps.outbound_webhooks.models import ALL_EVENTS, Delivery, DeliveryStatus

# What an endpoint may subscribe to: every event type, or `*` for all of them.
Subscription = enum.StrEnum(
    "Subscription", {event.name: event.value for event in EventType} | {"ALL": ALL_EVENTS}
)
URL_EXAMPLE = "https://crm.example.com/hooks/tiktok"


class EndpointIn(InSchema):
    url: str = Field(..., min_length=1, max_length=MAX_URL_LENGTH, examples=[URL_EXAMPLE])
    events: list[Subscription] = Field(..., min_length=1, examples=[["account.status_changed"]])
    description: str = Field("", max_length=200)


class EndpointPatchIn(InSchema):
    url: str | None = Field(None, min_length=1, max_length=MAX_URL_LENGTH)
    events: list[Subscription] | None = Field(None, min_length=1)
    description: str | None = Field(None, max_length=200)
    is_active: bool | None = None


class EndpointOut(Schema):
    id: uuid.UUID
    url: str
    events: list[str]
    description: str
    is_active: bool
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


class EndpointCreatedOut(EndpointOut):
    secret: str = Field(description="Shown in this answer only: `whsec_` + base64.")


class EndpointListOut(Schema):
    items: list[EndpointOut]


class SecretOut(Schema):
    secret: str = Field(description="The new secret, shown in this answer only.")


class DeliveryOut(Schema):
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None

    @staticmethod
    def resolve_event_type(obj: Delivery) -> str:
        return obj.event.type


class DeliveryPageOut(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None
    has_more: bool


class DeliveryListQuery(Schema):
    limit: int = Field(20, ge=1, le=50)
    cursor: str | None = Field(None, max_length=512)
    status: DeliveryStatus | None = None
