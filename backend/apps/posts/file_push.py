"""Pushing an uploaded post's stored chunks to TikTok's upload URL, resumable, never re-sent.

The publisher stores the publish_id and the upload URL of the FILE_UPLOAD init before the
first chunk leaves, together with a lease, and pushes the chunks in order while it renews the
lease after each one. A worker that dies mid-upload leaves its lease to lapse; the post's next
status poll (due when the lease ends) asks TikTok how far it got (`uploaded_bytes`) and
resumes from that chunk under a new lease. Nothing ever inits the post again: an upload TikTok
will not take any more (its URL expired after an hour, or it refuses the chunk) fails the post
(`upload_interrupted`), and the deadline sweep ends any other. Once TikTok has the whole file,
the stored chunks are deleted.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from apps.core.fields import TokenUnreadableError, ensure_readable
from apps.posts.models import Post, PostStatus
from apps.posts.sending import plan_of
from apps.posts.settle import post_settle
from apps.posts.upload_store import StoredVideo, upload_discard
from integrations.tiktok.errors import TikTokError, UploadRefusedError
from integrations.tiktok.uploads import upload_chunk

logger = logging.getLogger(__name__)

# TikTok's answers that mean "send another chunk" after a resync, not "give up".
RESYNC_STATUSES = (416,)


def upload_lease() -> timedelta:
    """Longer than one chunk can take to send (a slow send times out per read, not overall)."""
    return timedelta(seconds=settings.TIKTOK_TIMEOUT_SECONDS * 6 + 60)


def upload_lease_take(post: Post) -> datetime | None:
    """The lease of a post whose last lease lapsed (one conditional UPDATE; None: not won)."""
    now = timezone.now()
    until = now + upload_lease()
    won = Post.objects.filter(
        Q(upload_lease_until__isnull=True) | Q(upload_lease_until__lte=now),
        pk=post.pk,
        status=PostStatus.PUBLISHING,
        upload_stored=True,
        publish_id__isnull=False,
    ).update(upload_lease_until=until, next_poll_at=until)
    return until if won else None


def upload_push(*, post: Post, lease: datetime, start_bytes: int = 0) -> None:
    """Sends the chunks from the one that starts at `start_bytes`, holding `lease`."""
    plan = plan_of(post)
    try:
        index = plan.index_at(start_bytes)
    except ValueError:
        post_settle(post=post, tiktok_status=None, code="upload_interrupted", via="upload")
        return
    try:
        url = ensure_readable(post.tiktok_upload_url or "")
    except TokenUnreadableError:  # stored under a key since dropped: it can never be sent
        logger.error("Post %s: its upload URL opens with no FIELD_ENCRYPTION_KEY", post.pk)
        post_settle(post=post, tiktok_status=None, code="upload_url_unreadable", via="upload")
        return
    done = False
    try:
        with StoredVideo(post.upload_chunks, plan) as video:
            for number in range(index, plan.total_chunk_count):
                done = upload_chunk(upload_url=url, file=video, plan=plan, index=number)
                lease = _renew(post, lease)
                if lease is None:  # the lease was lost (this worker stalled): the holder goes on
                    return
    except UploadRefusedError as exc:
        if exc.status in RESYNC_STATUSES:  # TikTok has another amount: ask it, then go on
            _release(post, lease)
        else:
            post_settle(post=post, tiktok_status=None, code="upload_interrupted", via="upload")
        return
    except TikTokError as exc:  # passing (timeout, 5xx, 429): the next poll resumes
        logger.warning("Post %s: upload paused (%s)", post.pk, type(exc).__name__)
        _release(post, lease)
        return
    except (OSError, ValueError) as exc:  # the stored chunks cannot be read back
        logger.error("Post %s: stored upload unreadable (%s)", post.pk, type(exc).__name__)
        post_settle(post=post, tiktok_status=None, code="upload_interrupted", via="upload")
        return
    if done:
        upload_finished(post)


def upload_finished(post: Post) -> None:
    """TikTok has the whole file: forget its upload URL, poll soon, delete the stored chunks."""
    Post.objects.filter(pk=post.pk, status=PostStatus.PUBLISHING).update(
        upload_lease_until=None,
        tiktok_upload_url=None,
        next_poll_at=_soon(),
        polls=0,
        updated_at=timezone.now(),
    )
    upload_discard(post_id=post.pk)


def _soon() -> datetime:
    return timezone.now() + timedelta(seconds=settings.POST_STATUS_POLL_SECONDS)


def _renew(post: Post, lease: datetime) -> datetime | None:
    until = timezone.now() + upload_lease()
    won = Post.objects.filter(
        pk=post.pk, status=PostStatus.PUBLISHING, upload_lease_until=lease
    ).update(upload_lease_until=until, next_poll_at=until, updated_at=timezone.now())
    return until if won else None


def _release(post: Post, lease: datetime) -> None:
    """Gives the lease up: the next poll, soon, resumes from TikTok's `uploaded_bytes`."""
    Post.objects.filter(pk=post.pk, upload_lease_until=lease).update(
        upload_lease_until=None, next_poll_at=_soon()
    )
