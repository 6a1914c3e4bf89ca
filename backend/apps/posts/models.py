"""A video or photos a user asked us to post to one of their TikTok accounts, and where TikTok
is with it.

Status machine: [awaiting_upload ->] [pending_approval ->] scheduled -> publishing ->
published | sent_to_inbox | failed; pending_approval -> rejected; awaiting_upload -> failed
(`upload_expired`). A post awaiting its upload, its approval or its time may be cancelled
(deleted), and a post failed for `status_unknown` may still be settled by TikTok's webhook.
Every change of status goes through apps.posts.transitions.post_transition.
`send_started_at` is set by the one conditional UPDATE that claims a post for sending:
from that moment TikTok may have it, so the post is never sent again. `sent_at` is the first
claim, kept through releases: POST_PUBLISH_DEADLINE_SECONDS counts from it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.core.fields import EncryptedTokenField
from apps.tiktok_accounts.models import TikTokAccount


class PostStatus(models.TextChoices):
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    AWAITING_UPLOAD = "awaiting_upload"
    PENDING_APPROVAL = "pending_approval"
    SENT_TO_INBOX = "sent_to_inbox"
    REJECTED = "rejected"


# Nothing more happens to a post in these (but TikTok's word on a `status_unknown` failure).
FINAL_STATUSES = (
    PostStatus.PUBLISHED,
    PostStatus.SENT_TO_INBOX,
    PostStatus.FAILED,
    PostStatus.REJECTED,
)
# DELETE cancels a post in these: TikTok has nothing of it yet.
CANCELLABLE_STATUSES = (
    PostStatus.AWAITING_UPLOAD,
    PostStatus.PENDING_APPROVAL,
    PostStatus.SCHEDULED,
)


class MediaType(models.TextChoices):
    VIDEO = "video"
    PHOTO = "photo"


class PostMode(models.TextChoices):
    DIRECT = "direct"  # published on the account
    INBOX = "inbox"  # sent to the creator's TikTok inbox, where they finish it


class Source(models.TextChoices):
    URL = "url"  # TikTok pulls the media from its URL
    UPLOAD = "upload"  # the client uploads the file to us; we upload it to TikTok


class PrivacyLevel(models.TextChoices):
    PUBLIC_TO_EVERYONE = "PUBLIC_TO_EVERYONE"
    MUTUAL_FOLLOW_FRIENDS = "MUTUAL_FOLLOW_FRIENDS"
    FOLLOWER_OF_CREATOR = "FOLLOWER_OF_CREATOR"
    SELF_ONLY = "SELF_ONLY"


# A post the publisher may send when its `due_at` comes: new, or released by a refusal.
SEND_READY = models.Q(status=PostStatus.SCHEDULED) | models.Q(
    status=PostStatus.PUBLISHING, send_started_at__isnull=True, publish_id__isnull=True
)
# Posts polled for their status (publishing), or for their public id (published).
POLLED_STATUSES = (PostStatus.PUBLISHING, PostStatus.PUBLISHED)


class Post(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="posts", db_index=False
    )
    # Who created it (its Idempotency-Key is theirs).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts", db_index=False
    )
    account = models.ForeignKey(
        TikTokAccount, on_delete=models.CASCADE, related_name="posts", db_index=False
    )
    status = models.CharField(max_length=16, choices=PostStatus.choices)
    media_type = models.CharField(max_length=8, choices=MediaType.choices, default=MediaType.VIDEO)
    post_mode = models.CharField(max_length=8, choices=PostMode.choices, default=PostMode.DIRECT)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.URL)
    title = models.TextField(blank=True, default="")
    description = models.TextField(blank=True, default="")
    # "" for an inbox post: the creator chooses it in the TikTok app.
    privacy_level = models.CharField(max_length=32, choices=PrivacyLevel.choices, blank=True)
    video_url = models.URLField(max_length=2048, blank=True, default="")  # source url, video
    photo_urls = models.JSONField(null=True, blank=True)  # a photo post's images, in order
    photo_cover_index = models.PositiveSmallIntegerField(default=0)
    disable_comment = models.BooleanField(default=False)
    disable_duet = models.BooleanField(default=False)
    disable_stitch = models.BooleanField(default=False)
    scheduled_at = models.DateTimeField(null=True, blank=True)

    # Publisher state: when it may next try to send, and when it claimed the post for sending.
    due_at = models.DateTimeField()
    send_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    send_attempts = models.PositiveSmallIntegerField(default=0)
    publish_id = models.CharField(max_length=128, null=True, blank=True, unique=True)
    tiktok_status = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001
    fail_reason = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    published_video_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    # Set while a publishing post awaits its final status, or a published public post its id.
    next_poll_at = models.DateTimeField(null=True, blank=True)
    polls = models.PositiveIntegerField(default=0)

    # Approval: decided at creation (an editor's post while the workspace asks for it).
    requires_approval = models.BooleanField(default=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    reject_reason = models.TextField(null=True, blank=True)  # noqa: DJ001

    # A file upload (source upload): the plan it is cut by (client chunk i = TikTok chunk i),
    # what the client has sent, where the chunks are stored (apps.posts.upload_store), and
    # whether they still count against the workspace's quota (reserved at creation).
    video_size = models.BigIntegerField(null=True, blank=True)
    upload_chunk_size = models.BigIntegerField(null=True, blank=True)
    upload_total_chunks = models.PositiveIntegerField(null=True, blank=True)
    received_bytes = models.BigIntegerField(default=0)
    upload_chunks = models.JSONField(default=list, blank=True)
    upload_stored = models.BooleanField(default=False)
    upload_expires_at = models.DateTimeField(null=True, blank=True)
    # TikTok's side of it: the upload URL its init gave (a credential, valid one hour), and
    # the lease of the one worker pushing chunks there; the poller resumes once it lapses.
    tiktok_upload_url = EncryptedTokenField(null=True, blank=True)
    upload_lease_until = models.DateTimeField(null=True, blank=True)

    # Idempotency-Key of the create request and a hash of what it asked for.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    request_fingerprint = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "user", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="post_unique_ws_idempotency_key",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "-created_at", "-id"], name="post_ws_created"),
            models.Index(
                fields=["workspace", "status", "-created_at", "-id"], name="post_ws_status"
            ),
            models.Index(fields=["account", "-created_at", "-id"], name="post_account_created"),
            # The publisher's scans, each over the few posts it can find (partial indexes: the
            # published and failed posts, nearly all of them at scale, are in none): due to
            # send (publisher.posts_due_ids), due to poll (polling), the sweep of sends.
            models.Index(fields=["due_at"], condition=SEND_READY, name="post_scan_due"),
            models.Index(
                fields=["next_poll_at"],
                condition=models.Q(status__in=POLLED_STATUSES, next_poll_at__isnull=False),
                name="post_scan_poll",
            ),
            models.Index(
                fields=["sent_at"],
                condition=models.Q(status=PostStatus.PUBLISHING),
                name="post_scan_publishing",
            ),
            # tta_posts{status} of /metrics: posts of one status, counted from this index alone
            # (apps/core/counting.py).
            models.Index(fields=["status"], name="post_status"),
            # Uploads left unfinished: the expiry scan (client_upload).
            models.Index(
                fields=["upload_expires_at"],
                condition=models.Q(status=PostStatus.AWAITING_UPLOAD),
                name="post_scan_upload_expiry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title[:40] or self.video_url or self.media_type} ({self.status})"

    @property
    def inbox(self) -> bool:
        return self.post_mode == PostMode.INBOX

    @property
    def scope(self) -> str:
        """The TikTok scope its init needs: the inbox is video.upload's."""
        return "video.upload" if self.inbox else "video.publish"
