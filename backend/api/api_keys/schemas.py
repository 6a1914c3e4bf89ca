"""Bodies of /api/api-keys: the key itself appears in the create answer only, its hash never."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from ninja import Field, Schema
from pydantic import field_validator

from apps.api_keys.models import Scope
from apps.core.schemas import InSchema

MAX_LIFETIME = timedelta(days=366)


class ApiKeyIn(InSchema):
    name: str = Field(min_length=1, max_length=100, examples=["nightly-report"])
    scopes: list[Scope] = Field(min_length=1, max_length=3, examples=[["read"]])
    expires_at: datetime | None = Field(
        None,
        description="Optional; in the future, at most 366 days ahead. Without a zone: UTC.",
        examples=[None],
    )

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("The name must not be blank.")
        return value

    @field_validator("expires_at")
    @classmethod
    def _expires_ahead(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        now = datetime.now(UTC)
        if value <= now:
            raise ValueError("expires_at must be in the future.")
        if value > now + MAX_LIFETIME:
            raise ValueError("expires_at must be at most 366 days ahead.")
        return value


class ApiKeyOut(Schema):
    id: uuid.UUID
    name: str
    prefix: str = Field(description="The key's first 12 characters, to recognise it.")
    scopes: list[Scope]
    workspace_id: uuid.UUID
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = Field(
        description="Updated at most once a minute while the key is used."
    )


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="`tta_...`: shown in this answer only; store it now.")


class ApiKeyListOut(Schema):
    items: list[ApiKeyOut]
