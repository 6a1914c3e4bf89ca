"""Follower, following, likes and video counts of an account over time (one row per point)."""

from __future__ import annotations

from django.db import models

# The counts a point holds, in the order the API returns them.
COUNT_FIELDS = ("follower_count", "following_count", "likes_count", "video_count")


class HistoryPoint(models.Model):
    """Written at every connect, reconnect and successful sync; never updated."""

    id = models.BigAutoField(primary_key=True)
    # No index of its own: `(account, at)` below starts with it.
    # By name: history sits below the accounts app and imports nothing of it.
    account = models.ForeignKey(
        "tiktok_accounts.TikTokAccount",
        on_delete=models.CASCADE,
        related_name="history",
        db_index=False,
    )
    at = models.DateTimeField()
    follower_count = models.BigIntegerField()
    following_count = models.BigIntegerField()
    likes_count = models.BigIntegerField()
    video_count = models.BigIntegerField()

    class Meta:
        ordering = ("at", "id")
        indexes = [
            # The history of one account over a range: every read.
            models.Index(fields=["account", "at"], name="history_account_at"),
            # The daily retention's `at < cutoff` across all accounts, and the thinning's walk
            # through one day in (at, id) order, batch after batch without a sort.
            models.Index(fields=["at", "id"], name="history_at"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} at {self.at.isoformat()}"


class ThinnedDay(models.Model):
    """A UTC day whose history is thinned to the last point of each account: read once, not on
    every run (a point is never written into the past, so a thinned day stays thinned)."""

    day = models.DateField(primary_key=True)

    def __str__(self) -> str:
        return self.day.isoformat()
