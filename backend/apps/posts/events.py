"""`post.published`, `post.failed`, `post.sent_to_inbox`, `post.rejected`: emitted by the one
way a post's status changes (transitions.post_transition), in its transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from apps.core.renderers import timestamp
from apps.events.models import EventType
from apps.events.services import event_emit
from apps.posts.models import Post, PostStatus

# The API's PostOut, field for field and in its order (api/outbound_webhooks/tests compare):
# its name, and how to read it off a post.
POST_OUT_FIELDS: dict[str, Callable[[Post], Any]] = {
    "id": lambda post: post.id,
    "account_id": lambda post: post.account_id,
    "status": lambda post: str(post.status),
    "media_type": lambda post: str(post.media_type),
    "post_mode": lambda post: str(post.post_mode),
    "source": lambda post: str(post.source),
    "title": lambda post: post.title,
    "description": lambda post: post.description,
    "privacy_level": lambda post: post.privacy_level or None,  # an inbox post has none
    "video_url": lambda post: post.video_url or None,
    "photo_urls": lambda post: post.photo_urls,
    "upload": lambda post: _upload(post),
    "scheduled_at": lambda post: post.scheduled_at,
    "publish_id": lambda post: post.publish_id,
    "tiktok_status": lambda post: post.tiktok_status,
    "fail_reason": lambda post: post.fail_reason,
    "published_video_id": lambda post: post.published_video_id,
    "created_by": lambda post: post.user_id,
    "approved_by": lambda post: post.approved_by_id,
    "reject_reason": lambda post: post.reject_reason,
    "created_at": lambda post: post.created_at,
    "updated_at": lambda post: post.updated_at,
}


def _upload(post: Post) -> dict[str, Any] | None:
    if post.status != PostStatus.AWAITING_UPLOAD:
        return None
    return {
        "url": f"/api/posts/{post.id}/upload",
        "chunk_size": post.upload_chunk_size,
        "total_chunks": post.upload_total_chunks,
        "received_bytes": post.received_bytes,
        "expires_at": _json(post.upload_expires_at),
    }


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return timestamp(value)
    return str(value) if isinstance(value, uuid.UUID) else value


EVENT_OF_STATUS = {
    PostStatus.PUBLISHED: EventType.POST_PUBLISHED,
    PostStatus.FAILED: EventType.POST_FAILED,
    PostStatus.SENT_TO_INBOX: EventType.POST_SENT_TO_INBOX,
    PostStatus.REJECTED: EventType.POST_REJECTED,
}


def post_event_data(post: Post) -> dict[str, Any]:
    """PostOut of a post, ready for JSON."""
    return {name: _json(read(post)) for name, read in POST_OUT_FIELDS.items()}


def post_final_emit(*, post_id: uuid.UUID) -> None:
    """The event of the final status a post just reached, from the row as stored."""
    post = Post.objects.get(pk=post_id)
    event_emit(
        workspace_id=post.workspace_id,
        type=EVENT_OF_STATUS[PostStatus(post.status)],
        data=post_event_data(post),
    )
