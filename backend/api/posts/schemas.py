"""Request and response shapes of posts and creator info."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator, field_validator

from apps.core.schemas import InSchema
from apps.posts.models import MediaType, Post, PostMode, PostStatus, PrivacyLevel, Source

MAX_SCHEDULE_AHEAD = timedelta(days=30)
MAX_VIDEO_BYTES = 4 * 1024**3  # 4 GiB: TikTok's FILE_UPLOAD limit
MAX_PHOTOS = 35


class CreatorInfoOut(Schema):
    creator_username: str
    creator_nickname: str
    privacy_level_options: list[str]
    comment_disabled: bool
    duet_disabled: bool
    stitch_disabled: bool
    max_video_post_duration_sec: int


def _https(value: str) -> str:
    # TikTok pulls the media itself (PULL_FROM_URL) and accepts only https URLs.
    if not value.startswith("https://") or any(char.isspace() for char in value):
        raise ValueError("must be an https URL")
    return value


HttpsUrl = Annotated[str, Field(min_length=9, max_length=2048), AfterValidator(_https)]


class PostIn(InSchema):
    """Which fields a mode requires or refuses: apps/posts/drafts.py (422 naming them)."""

    media_type: MediaType = MediaType.VIDEO
    post_mode: PostMode = PostMode.DIRECT
    source: Source = Source.URL
    video_url: HttpsUrl | None = Field(None, examples=["https://videos.example.com/clip.mp4"])
    video_size: int | None = Field(None, ge=1, le=MAX_VIDEO_BYTES)
    photo_urls: list[HttpsUrl] | None = Field(None, min_length=1, max_length=MAX_PHOTOS)
    photo_cover_index: int = Field(0, ge=0, lt=MAX_PHOTOS)
    title: str = Field("", max_length=2200, examples=["Behind the scenes #tiktok"])
    description: str = Field("", max_length=4000)
    privacy_level: PrivacyLevel | None = Field(None, examples=["SELF_ONLY"])
    disable_comment: bool | None = None
    disable_duet: bool | None = None
    disable_stitch: bool | None = None
    scheduled_at: datetime | None = None

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


class UploadOut(Schema):
    """Where and how to send the file, while the post is awaiting_upload."""

    url: str
    chunk_size: int
    total_chunks: int
    received_bytes: int
    expires_at: datetime


class PostOut(Schema):
    id: uuid.UUID
    account_id: uuid.UUID
    status: PostStatus
    media_type: MediaType
    post_mode: PostMode
    source: Source
    title: str
    description: str
    privacy_level: str | None
    video_url: str | None
    photo_urls: list[str] | None
    upload: UploadOut | None
    scheduled_at: datetime | None
    publish_id: str | None
    tiktok_status: str | None
    fail_reason: str | None
    published_video_id: str | None
    created_by: int
    approved_by: int | None
    reject_reason: str | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_privacy_level(obj: Post) -> str | None:
        return obj.privacy_level or None  # an inbox post has none

    @staticmethod
    def resolve_video_url(obj: Post) -> str | None:
        return obj.video_url or None

    @staticmethod
    def resolve_created_by(obj: Post) -> object:
        return obj.user_id

    @staticmethod
    def resolve_approved_by(obj: Post) -> object:
        return obj.approved_by_id

    @staticmethod
    def resolve_upload(obj: Post) -> dict[str, object] | None:
        if obj.status != PostStatus.AWAITING_UPLOAD:
            return None
        return {
            "url": f"/api/posts/{obj.id}/upload",
            "chunk_size": obj.upload_chunk_size,
            "total_chunks": obj.upload_total_chunks,
            "received_bytes": obj.received_bytes,
            "expires_at": obj.upload_expires_at,
        }


class ChunkAckOut(Schema):
    received_bytes: int
    complete: bool


class RejectIn(InSchema):
    reason: str = Field(..., min_length=1, max_length=2000, examples=["Off-brand music"])


class PostPageOut(Schema):
    items: list[PostOut]
    next_cursor: str | None
    has_more: bool


class PostListQuery(Schema):
    limit: int = Field(20, ge=1, le=50)
    cursor: str | None = Field(None, max_length=512)
    account_id: uuid.UUID | None = None
    status: PostStatus | None = None
