"""Following a sent post to its final status: status polling, and the one settle step that
polling and TikTok's webhooks share.

Settling is one conditional UPDATE (`status = publishing`), so whichever of the poller and the
webhook comes first moves the post and writes the audit entry; the other changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.audit.models import AuditAction
from apps.core.errors import ReauthRequired
from apps.posts.audit import post_audit, status_changes
from apps.posts.models import Post, PostStatus
from apps.posts.reasons import fail_reason
from apps.tiktok_accounts import content_client
from apps.tiktok_accounts.authorized import call_with_token
from apps.tiktok_accounts.exceptions import PostingRefusedError, TikTokError, TikTokRateLimitError
from apps.tiktok_accounts.fields import TokenUnreadableError

logger = logging.getLogger(__name__)

FINAL = {"PUBLISH_COMPLETE": PostStatus.PUBLISHED, "FAILED": PostStatus.FAILED}
SCOPE = "video.publish"


def poll_delay(polls: int) -> timedelta:
    """POST_STATUS_POLL_SECONDS, doubling with each poll, up to ten times that."""
    base = settings.POST_STATUS_POLL_SECONDS
    return timedelta(seconds=min(base * 2 ** min(polls, 10), base * 10))


def post_settle(
    *,
    post: Post,
    tiktok_status: str,
    code: str | None = None,
    video_id: str | None = None,
    via: str,
) -> bool:
    """Moves a publishing post to published or failed; False when it was already final.

    A published post may still learn its public video id (TikTok gives it after moderation).
    """
    status = FINAL[tiktok_status] if code is None else PostStatus.FAILED
    values = {
        "status": status,
        "tiktok_status": tiktok_status,
        "fail_reason": fail_reason(code) if code else None,
        "next_poll_at": None,
        "updated_at": timezone.now(),
    }
    if video_id:
        values["published_video_id"] = video_id
    with transaction.atomic():
        moved = Post.objects.filter(pk=post.pk, status=PostStatus.PUBLISHING).update(**values)
        if moved:
            post_audit(
                post,
                AuditAction.POST_STATUS,
                changes=status_changes(PostStatus.PUBLISHING, status),
                tiktok_status=tiktok_status,
                via=via,
            )
    if not moved and video_id and status == PostStatus.PUBLISHED:
        Post.objects.filter(
            pk=post.pk, status=PostStatus.PUBLISHED, published_video_id__isnull=True
        ).update(published_video_id=video_id, updated_at=timezone.now())
    return bool(moved)


def posts_poll_due_ids(*, limit: int = 200) -> list[uuid.UUID]:
    due = Post.objects.filter(status=PostStatus.PUBLISHING, next_poll_at__lte=timezone.now())
    return list(due.order_by("next_poll_at").values_list("id", flat=True)[:limit])


def _claim_poll(post_id: uuid.UUID) -> Post | None:
    """One conditional UPDATE per poll: two schedulers never poll one post twice per period."""
    post = Post.objects.select_related("account").filter(pk=post_id).first()
    if post is None or post.status != PostStatus.PUBLISHING or post.next_poll_at is None:
        return None
    if post.next_poll_at > timezone.now():
        return None
    won = Post.objects.filter(pk=post_id, next_poll_at=post.next_poll_at).update(
        next_poll_at=timezone.now() + poll_delay(post.polls + 1), polls=F("polls") + 1
    )
    return post if won else None


def post_poll(*, post_id: uuid.UUID) -> None:
    """Asks TikTok once where a sent post is, and records the answer."""
    post = _claim_poll(post_id)
    if post is None or post.publish_id is None:
        return
    publish_id = post.publish_id
    try:
        answer = call_with_token(
            post.account,
            SCOPE,
            lambda token: content_client.fetch_post_status(
                access_token=token, publish_id=publish_id
            ),
        )
    except TikTokRateLimitError as exc:
        Post.objects.filter(pk=post.pk, status=PostStatus.PUBLISHING).update(
            next_poll_at=timezone.now() + timedelta(seconds=exc.retry_after)
        )
        return
    except PostingRefusedError as exc:  # TikTok does not know this publish_id (for this user)
        post_settle(post=post, tiktok_status="FAILED", code=exc.code, via="poll")
        return
    except (TikTokError, TokenUnreadableError, ReauthRequired) as exc:
        # Passing failure or a grant to reconnect: the claim already pushed the next poll out,
        # and the webhook may still settle the post meanwhile (the sweep ends it after 24 h).
        logger.warning("Post %s: status poll failed (%s)", post.pk, type(exc).__name__)
        return
    if answer.status in FINAL:
        ids = answer.publicaly_available_post_id
        code = (answer.fail_reason or "internal") if answer.status == "FAILED" else None
        video_id = str(ids[0]) if ids else None
        post_settle(
            post=post, tiktok_status=answer.status, code=code, video_id=video_id, via="poll"
        )
    elif answer.status != post.tiktok_status:
        Post.objects.filter(pk=post.pk, status=PostStatus.PUBLISHING).update(
            tiktok_status=answer.status, updated_at=timezone.now()
        )
