"""TikTok's post.publish.* webhooks, applied exactly as polling would apply the same news.

The webhook route (signature, JSON shape, duplicate deliveries) lives elsewhere and calls
`post_webhook_apply` from its dispatch table; this module only settles the matching post.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from apps.posts.models import Post
from apps.posts.status import post_settle

logger = logging.getLogger(__name__)

POST_EVENTS = (
    "post.publish.complete",
    "post.publish.failed",
    "post.publish.publicly_available",
)


def post_webhook_apply(
    *, event: str, user_openid: str, content: dict[str, Any]
) -> Literal["processed", "ignored"]:
    """`processed` when the event moved the post (or gave it its video id), else `ignored`:
    an unknown publish_id, another TikTok user's, an unknown event, or news already applied."""
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
    before = post.published_video_id
    if event == "post.publish.failed":
        reason = str(content.get("reason") or "internal")
        moved = post_settle(post=post, tiktok_status="FAILED", code=reason, via="webhook")
    else:
        video_id = content.get("post_id") if event.endswith("publicly_available") else None
        moved = post_settle(
            post=post,
            tiktok_status="PUBLISH_COMPLETE",
            video_id=str(video_id) if video_id else None,
            via="webhook",
        )
        if not moved and video_id and before is None:
            moved = Post.objects.filter(pk=post.pk, published_video_id=str(video_id)).exists()
    logger.info("Webhook %s for post %s: %s", event, post.pk, "moved" if moved else "no change")
    return "processed" if moved else "ignored"
