"""Request and response shapes of an account's videos."""

import uuid
from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from apps.history.selectors import Bucket


class VideoOut(Schema):
    id: uuid.UUID
    video_id: str
    title: str
    video_description: str
    duration: int
    cover_image_url: str
    share_url: str
    embed_link: str
    create_time: datetime
    view_count: int
    like_count: int
    comment_count: int
    share_count: int
    synced_at: datetime


class VideoPageOut(Schema):
    items: list[VideoOut]
    total: int
    next_cursor: str | None
    has_more: bool


class VideoListQuery(Schema):
    limit: int = Field(20, ge=1, le=50)
    cursor: str | None = Field(None, max_length=512)
    sort: Literal["-create_time", "-view_count", "-like_count"] = "-create_time"


class VideoSyncOut(Schema):
    synced: int
    has_more: bool


class VideoPointOut(Schema):
    at: datetime
    view_count: int
    like_count: int
    comment_count: int
    share_count: int


class VideoHistoryOut(Schema):
    video_id: uuid.UUID
    bucket: Bucket
    points: list[VideoPointOut]
