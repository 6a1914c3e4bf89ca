"""The one settle step that the publisher, status polling, TikTok's webhooks and the deadline
sweep share, and what a published post still learns afterwards: its public post id.

Settling is one conditional UPDATE, so whichever of them comes first moves the post and writes
the audit entry; the others change nothing. The deadline's `status_unknown` is the one final
status that TikTok's own word (a poll or a webhook arriving later) still overrides.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from apps.posts.models import Post, PostStatus, PrivacyLevel
from apps.posts.reasons import fail_reason
from apps.posts.transitions import post_transition

FINAL = {
    "PUBLISH_COMPLETE": PostStatus.PUBLISHED,
    "SEND_TO_USER_INBOX": PostStatus.SENT_TO_INBOX,
    "FAILED": PostStatus.FAILED,
}
DEADLINE_CODE = "status_unknown"
# The settle paths that carry TikTok's own word about a publish.
TIKTOKS_WORD = ("poll", "webhook")


def publish_cutoff() -> datetime:
    """Posts sent before this instant have passed POST_PUBLISH_DEADLINE_SECONDS."""
    return timezone.now() - timedelta(seconds=settings.POST_PUBLISH_DEADLINE_SECONDS)


def _awaits_post_id(post: Post, tiktok_status: str | None, video_id: str | None) -> bool:
    # TikTok fills a public post's id once moderation ends; a post not public never gets one.
    public = post.privacy_level == PrivacyLevel.PUBLIC_TO_EVERYONE
    return tiktok_status == "PUBLISH_COMPLETE" and not video_id and public


def post_settle(
    *,
    post: Post,
    tiktok_status: str | None,
    code: str | None = None,
    video_id: str | None = None,
    via: str,
    from_status: PostStatus = PostStatus.PUBLISHING,
) -> bool:
    """Moves a post from `from_status` to its final status by TikTok's word (published, sent
    to the inbox), or to failed when `code` is given; False when another path settled it
    first.

    A public post published without its id keeps its next poll: polling goes on for the id.
    """
    status = PostStatus.FAILED if code else FINAL[str(tiktok_status)]
    if post.inbox and status == PostStatus.PUBLISHED:
        # The creator finished the draft before TikTok's inbox word reached us: it went
        # through the inbox all the same, and one draft may become several posts, so an inbox
        # post ends sent_to_inbox and never names a video.
        status, video_id = PostStatus.SENT_TO_INBOX, None
    values: dict[str, Any] = {
        "tiktok_status": tiktok_status,
        "fail_reason": fail_reason(code) if code else None,
        "upload_lease_until": None,
        "tiktok_upload_url": None,  # a credential, of no use once the post has ended
    }
    if not _awaits_post_id(post, tiktok_status, video_id):
        values["next_poll_at"] = None
    if video_id:
        values["published_video_id"] = video_id
    candidates = [(from_status, Q(status=from_status))]
    if via in TIKTOKS_WORD:
        deadline_failed = Q(status=PostStatus.FAILED, fail_reason__startswith=f"{DEADLINE_CODE}:")
        candidates.append((PostStatus.FAILED, deadline_failed))
    for before, match in candidates:
        moved = post_transition(
            post=post,
            before=before,
            after=status,
            match=match,
            values=values,
            tiktok_status=tiktok_status,
            via=via,
        )
        if moved:
            return True
    return False


def post_video_id_store(*, post: Post, video_id: str) -> bool:
    """A published post learns its public post id (the first one TikTok gives); polling for it
    ends. False when it already had one."""
    return bool(
        Post.objects.filter(
            pk=post.pk, status=PostStatus.PUBLISHED, published_video_id__isnull=True
        ).update(published_video_id=video_id, next_poll_at=None, updated_at=timezone.now())
    )


def post_id_wait_stop(*, post: Post) -> bool:
    """Stops polling a published post for its id (it is not public); it stays published."""
    return bool(
        Post.objects.filter(
            pk=post.pk, status=PostStatus.PUBLISHED, next_poll_at__isnull=False
        ).update(next_poll_at=None, updated_at=timezone.now())
    )
