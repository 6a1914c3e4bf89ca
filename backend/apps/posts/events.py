"""`post.published` and `post.failed`: emitted by the one settle step (settle.py) every path
that ends a post goes through, in its transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from apps.core.renderers import timestamp
from apps.events.models import EventType
from apps.events.services import event_emit
from apps.posts.models import Post, PostStatus

# The API's PostOut, field for field and in its order (api/outbound_webhooks/tests compare).
POST_OUT_FIELDS = (
    "id",
    "account_id",
    "status",
    "title",
    "privacy_level",
    "video_url",
    "scheduled_at",
    "publish_id",
    "tiktok_status",
    "fail_reason",
    "published_video_id",
    "created_at",
    "updated_at",
)
EVENT_OF_STATUS = {
    PostStatus.PUBLISHED: EventType.POST_PUBLISHED,
    PostStatus.FAILED: EventType.POST_FAILED,
}


def post_event_data(post: Post) -> dict[str, Any]:
    """PostOut of a post, ready for JSON."""
    data: dict[str, Any] = {}
    for name in POST_OUT_FIELDS:
        value = getattr(post, name)
        if isinstance(value, datetime):
            value = timestamp(value)
        elif isinstance(value, uuid.UUID):
            value = str(value)
        data[name] = str(value) if name == "status" else value
    return data


def post_final_emit(*, post_id: uuid.UUID) -> None:
    """The event of the final status a post just reached, from the row as stored."""
    post = Post.objects.get(pk=post_id)
    event_emit(
        workspace_id=post.workspace_id,
        type=EVENT_OF_STATUS[PostStatus(post.status)],
        data=post_event_data(post),
    )
