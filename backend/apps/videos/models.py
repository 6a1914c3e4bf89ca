"""The videos of a connected TikTok account, as TikTok's video list last reported them."""

from __future__ import annotations

import uuid

from django.db import models

from apps.tiktok_accounts.models import TikTokAccount

# The listing's sort orders: API value -> column (descending, then id descending).
SORTS = {"-create_time": "create_time", "-view_count": "view_count", "-like_count": "like_count"}
# What a sync copies from TikTok into an existing row.
SYNCED_FIELDS = (
    "title",
    "video_description",
    "duration",
    "cover_image_url",
    "share_url",
    "embed_link",
    "create_time",
    "view_count",
    "like_count",
    "comment_count",
    "share_count",
    "synced_at",
)


class TikTokVideo(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: the unique constraint and every sort index start with `account`.
    account = models.ForeignKey(
        TikTokAccount, on_delete=models.CASCADE, related_name="videos", db_index=False
    )
    video_id = models.CharField(max_length=64)
    title = models.TextField(blank=True, default="")
    video_description = models.TextField(blank=True, default="")
    duration = models.PositiveIntegerField(default=0)
    # TikTok's cover URLs are signed and expire after about 6 hours; a sync renews them.
    cover_image_url = models.TextField(blank=True, default="")
    share_url = models.TextField(blank=True, default="")
    embed_link = models.TextField(blank=True, default="")
    create_time = models.DateTimeField()
    view_count = models.BigIntegerField(default=0)
    like_count = models.BigIntegerField(default=0)
    comment_count = models.BigIntegerField(default=0)
    share_count = models.BigIntegerField(default=0)
    synced_at = models.DateTimeField()

    class Meta:
        verbose_name = "TikTok video"
        ordering = ("-create_time", "-id")
        constraints = [
            models.UniqueConstraint(fields=["account", "video_id"], name="video_unique_per_account")
        ]
        # One per sort order, so each keyset page is an index range scan.
        indexes = [
            models.Index(fields=["account", "-create_time", "-id"], name="video_account_created"),
            models.Index(fields=["account", "-view_count", "-id"], name="video_account_views"),
            models.Index(fields=["account", "-like_count", "-id"], name="video_account_likes"),
        ]

    def __str__(self) -> str:
        return self.title or self.video_id


# The counts a video point holds, in the order the API and the CSV give them.
VIDEO_COUNT_FIELDS = ("view_count", "like_count", "comment_count", "share_count")


class VideoHistoryPoint(models.Model):
    """A video's counts when a sync found them changed since its previous point; never updated.

    Pruned with the account history (HISTORY_RETENTION_DAYS).
    """

    id = models.BigAutoField(primary_key=True)
    # No index of its own: `(video, at)` below starts with it.
    video = models.ForeignKey(
        TikTokVideo, on_delete=models.CASCADE, related_name="history", db_index=False
    )
    at = models.DateTimeField()
    view_count = models.BigIntegerField()
    like_count = models.BigIntegerField()
    comment_count = models.BigIntegerField()
    share_count = models.BigIntegerField()

    class Meta:
        ordering = ("at", "id")
        indexes = [
            # A video's points over a range, and its latest point at every sync.
            models.Index(fields=["video", "at"], name="video_history_video_at"),
            # The daily retention's `at < cutoff` across all videos.
            models.Index(fields=["at"], name="video_history_at"),
        ]

    def __str__(self) -> str:
        return f"{self.video_id} at {self.at.isoformat()}"
