"""TikTok's post.publish.* webhooks, applied exactly as polling would apply the same news.

The webhooks app (signature, JSON shape, duplicate deliveries) runs `post_publish` for these
events: PostsConfig.ready registers it (apps.webhooks.registry). This module only settles the
matching post.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from apps.posts.models import Post
from apps.posts.settle import post_id_wait_stop, post_settle, post_video_id_store
from apps.webhooks.envelope import WebhookEnvelope, content_parse
from apps.webhooks.models import WebhookStatus
from integrations.tiktok.content_client import post_id_text

logger = logging.getLogger(__name__)

POST_EVENTS = (
    "post.publish.complete",
    "post.publish.failed",
    "post.publish.inbox_delivered",
    "post.publish.publicly_available",
    "post.publish.no_longer_publicaly_available",  # sic: TikTok's spelling
)


def _video_id(content: dict[str, Any]) -> str | None:
    try:
        return post_id_text(content.get("post_id"))
    except ValueError:
        return None


def _apply(post: Post, event: str, content: dict[str, Any]) -> bool:
    """True when the event moved the post or taught it something (its id, its end of wait)."""
    if event == "post.publish.failed":
        reason = str(content.get("reason") or "internal")
        return post_settle(post=post, tiktok_status="FAILED", code=reason, via="webhook")
    if event == "post.publish.no_longer_publicaly_available":
        return post_id_wait_stop(post=post)
    if event == "post.publish.inbox_delivered":
        return post_settle(post=post, tiktok_status="SEND_TO_USER_INBOX", via="webhook")
    video_id = _video_id(content) if event.endswith("publicly_available") else None
    moved = post_settle(
        post=post, tiktok_status="PUBLISH_COMPLETE", video_id=video_id, via="webhook"
    )
    return moved or (video_id is not None and post_video_id_store(post=post, video_id=video_id))


def post_webhook_apply(
    *, event: str, user_openid: str, content: dict[str, Any]
) -> Literal["processed", "ignored"]:
    """`processed` when the event moved the post (or gave it its video id), else `ignored`:
    an unknown publish_id, another TikTok user's, an unknown event, or news already applied.
    TikTok's word wins over the deadline: it settles a post failed as `status_unknown`."""
    publish_id = content.get("publish_id")
    if event not in POST_EVENTS or not isinstance(publish_id, str) or not publish_id:
        return "ignored"
    post = (
        Post.objects.select_related("account")
        .filter(publish_id=publish_id, account__open_id=user_openid)
        .first()
    )
    if post is None:
        return "ignored"
    moved = _apply(post, event, content)
    logger.info("Webhook %s for post %s: %s", event, post.pk, "moved" if moved else "no change")
    return "processed" if moved else "ignored"


class PostPublishContent(BaseModel):
    model_config = ConfigDict(extra="allow")

    publish_id: str = ""


def post_publish(envelope: WebhookEnvelope) -> WebhookStatus:
    """post.publish.*: settles the matching post exactly as polling would, whichever is first."""
    content = content_parse(envelope, PostPublishContent).model_dump()
    outcome = post_webhook_apply(
        event=envelope.event, user_openid=envelope.user_openid, content=content
    )
    return WebhookStatus(outcome)
