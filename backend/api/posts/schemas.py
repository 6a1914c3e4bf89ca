"""Request and response shapes of posts and creator info."""

import uuid
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from ninja import Field, Schema
from pydantic import field_validator

from apps.core.schemas import InSchema
from apps.posts.models import PostStatus, PrivacyLevel

MAX_SCHEDULE_AHEAD = timedelta(days=30)


class CreatorInfoOut(Schema):
    creator_username: str
    creator_nickname: str
    privacy_level_options: list[str]
    comment_disabled: bool
    duet_disabled: bool
    stitch_disabled: bool
    max_video_post_duration_sec: int


class PostIn(InSchema):
    video_url: str = Field(
        ..., min_length=9, max_length=2048, examples=["https://videos.example.com/clip.mp4"]
    )
    title: str = Field("", max_length=2200, examples=["Behind the scenes #tiktok"])
    privacy_level: PrivacyLevel = Field(..., examples=["SELF_ONLY"])
    disable_comment: bool = False
    disable_duet: bool = False
    disable_stitch: bool = False
    scheduled_at: datetime | None = None

    @field_validator("video_url")
    @classmethod
    def video_url_is_https(cls, value: str) -> str:
        # TikTok pulls the file itself (PULL_FROM_URL) and accepts only https URLs.
        if not value.startswith("https://") or any(char.isspace() for char in value):
            raise ValueError("must be an https URL")
        return value

    @field_validator("scheduled_at")
    @classmethod
    def scheduled_in_the_next_30_days(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # the contract's times are UTC
            value = value.replace(tzinfo=UTC)
        now = timezone.now()
        if value <= now:
            raise ValueError("must be in the future")
        if value > now + MAX_SCHEDULE_AHEAD:
            raise ValueError("must be at most 30 days ahead")
        return value


class PostOut(Schema):
    id: uuid.UUID
    account_id: uuid.UUID
    status: PostStatus
    title: str
    privacy_level: str
    video_url: str
    scheduled_at: datetime | None
    publish_id: str | None
    tiktok_status: str | None
    fail_reason: str | None
    published_video_id: str | None
    created_at: datetime
    updated_at: datetime


class PostPageOut(Schema):
    items: list[PostOut]
    next_cursor: str | None
    has_more: bool


class PostListQuery(Schema):
    limit: int = Field(20, ge=1, le=50)
    cursor: str | None = Field(None, max_length=512)
    account_id: uuid.UUID | None = None
    status: PostStatus | None = None
