"""Following a sent post to its final status and, when it is public, to its post id.

Polling runs every POST_STATUS_POLL_SECONDS with backoff while a post is `publishing`, and after
`PUBLISH_COMPLETE` while a public post has no id yet (TikTok gives it once moderation ends).
Whatever TikTok answers, the deadline sweep (publisher.posts_sweep) ends both waits, so no
post is polled forever: a dead grant or a kept 429 only delays the next poll. A file upload
whose worker stopped mid-way is resumed from here (file_push): its poll falls due when the
pushing worker's lease lapses.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from apps.core.errors import ReauthRequired
from apps.core.fields import TokenUnreadableError
from apps.posts import file_push
from apps.posts.models import POLLED_STATUSES, Post, PostStatus
from apps.posts.settle import FINAL, post_id_wait_stop, post_settle, post_video_id_store
from apps.tiktok_accounts.services.scoped_calls import call_with_token
from integrations.tiktok import content_client
from integrations.tiktok.errors import PostingRefusedError, TikTokError, TikTokRateLimitError

logger = logging.getLogger(__name__)

SCOPE = "video.publish"  # direct posts and creator info; inbox posts use video.upload
POLLED = POLLED_STATUSES


def poll_delay(polls: int) -> timedelta:
    """POST_STATUS_POLL_SECONDS, doubling with each poll, up to ten times that."""
    base = settings.POST_STATUS_POLL_SECONDS
    return timedelta(seconds=min(base * 2 ** min(polls, 10), base * 10))


def posts_poll_due_ids(*, limit: int = 200) -> list[uuid.UUID]:
    due = Post.objects.filter(status__in=POLLED, next_poll_at__lte=timezone.now())
    return list(due.order_by("next_poll_at").values_list("id", flat=True)[:limit])


def _claim_poll(post_id: uuid.UUID) -> Post | None:
    """One conditional UPDATE per poll: two schedulers never poll one post twice per period."""
    post = Post.objects.select_related("account").filter(pk=post_id).first()
    if post is None or post.status not in POLLED or post.publish_id is None:
        return None
    if post.next_poll_at is None or post.next_poll_at > timezone.now():
        return None
    won = Post.objects.filter(
        pk=post_id, status=post.status, next_poll_at=post.next_poll_at
    ).update(next_poll_at=timezone.now() + poll_delay(post.polls + 1), polls=F("polls") + 1)
    return post if won else None


def _upload_step(post: Post, answer: content_client.PublishStatus) -> bool:
    """A file upload TikTok does not fully have: resume it (True: nothing more to record)."""
    if post.status != PostStatus.PUBLISHING or not post.upload_stored or not post.video_size:
        return False
    if answer.status == "PROCESSING_UPLOAD" and answer.uploaded_bytes < post.video_size:
        lease = file_push.upload_lease_take(post)
        if lease is not None:
            file_push.upload_push(post=post, lease=lease, start_bytes=answer.uploaded_bytes)
        return True
    file_push.upload_finished(post)  # TikTok has it all (the last answer was lost)
    return False


def _record(post: Post, answer: content_client.PublishStatus) -> None:
    if _upload_step(post, answer):
        return
    ids = answer.publicaly_available_post_id
    video_id = ids[0] if ids else None
    if post.status == PostStatus.PUBLISHED:
        if video_id:
            post_video_id_store(post=post, video_id=video_id)
    elif answer.status in FINAL:
        code = (answer.fail_reason or "internal") if answer.status == "FAILED" else None
        post_settle(
            post=post, tiktok_status=answer.status, code=code, video_id=video_id, via="poll"
        )
    elif answer.status != post.tiktok_status:
        Post.objects.filter(pk=post.pk, status=PostStatus.PUBLISHING).update(
            tiktok_status=answer.status, updated_at=timezone.now()
        )


def post_poll(*, post_id: uuid.UUID) -> None:
    """Asks TikTok once where a sent post is, and records the answer."""
    post = _claim_poll(post_id)
    if post is None:
        return
    publish_id = str(post.publish_id)
    try:
        answer = call_with_token(
            post.account,
            post.scope,
            lambda token: content_client.fetch_post_status(
                access_token=token, publish_id=publish_id
            ),
        )
    except TikTokRateLimitError as exc:
        Post.objects.filter(pk=post.pk, status=post.status, next_poll_at__isnull=False).update(
            next_poll_at=timezone.now() + timedelta(seconds=exc.retry_after)
        )
        return
    except PostingRefusedError as exc:  # TikTok does not know this publish_id (for this user)
        if post.status == PostStatus.PUBLISHING:
            post_settle(post=post, tiktok_status="FAILED", code=exc.code, via="poll")
        else:  # a published post stays published; it just gets no id
            post_id_wait_stop(post=post)
        return
    except (TikTokError, TokenUnreadableError, ReauthRequired) as exc:
        # Passing failure or a grant to reconnect (a dead grant is refused before any call):
        # the claim already pushed the next poll out; a webhook or the deadline ends the wait.
        logger.warning("Post %s: status poll failed (%s)", post.pk, type(exc).__name__)
        return
    _record(post, answer)
