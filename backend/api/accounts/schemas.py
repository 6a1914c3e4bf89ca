"""Request and response shapes of `/api/accounts`. No schema has a token field."""

import unicodedata
import uuid
from datetime import datetime

from ninja import Field, Schema
from pydantic import field_validator

from apps.core.schemas import InSchema
from apps.tiktok_accounts.models import AccountStatus


class AccountOut(Schema):
    id: uuid.UUID
    open_id: str
    username: str
    display_name: str
    avatar_url: str
    is_verified: bool
    follower_count: int
    following_count: int
    likes_count: int
    video_count: int
    status: AccountStatus
    last_synced_at: datetime | None
    created_at: datetime


class AccountDetailOut(AccountOut):
    bio_description: str
    profile_deep_link: str
    scopes: list[str]
    last_sync_error: str | None
    updated_at: datetime


class AccountPageOut(Schema):
    items: list[AccountOut]
    total: int
    next_cursor: str | None
    has_more: bool


class AccountListQuery(Schema):
    limit: int = Field(20, ge=1, le=50)
    cursor: str | None = Field(None, max_length=512)
    search: str | None = Field(None, max_length=100)
    status: AccountStatus | None = None

    @field_validator("search")
    @classmethod
    def search_has_no_control_characters(cls, value: str | None) -> str | None:
        # Names never hold one, and the search column joins the two names with a line break:
        # a term with a control character could only ever match across them.
        if value and any(unicodedata.category(char) == "Cc" for char in value):
            raise ValueError("must not contain control characters")
        return value


class SummaryOut(Schema):
    total_accounts: int
    active_accounts: int
    total_followers: int
    total_videos: int
    total_likes: int


class BatchSyncIn(InSchema):
    account_ids: list[uuid.UUID] = Field(
        ..., min_length=1, max_length=50, examples=[["0b5e7c1a-3f4d-4e2a-9c8b-7a6d5e4f3c2b"]]
    )


class BatchFailureOut(Schema):
    id: uuid.UUID
    code: str
    detail: str


class BatchSyncOut(Schema):
    succeeded: list[AccountOut]
    failed: list[BatchFailureOut]


class ConnectStartOut(Schema):
    authorize_url: str
    state: str


class ConnectCompleteIn(InSchema):
    code: str = Field(..., min_length=1, max_length=2048, examples=["<code from the redirect>"])
    state: str = Field(..., min_length=1, max_length=256, examples=["<state from connect/start>"])
