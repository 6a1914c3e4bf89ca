"""A workspace's account totals as a sum of parts, kept by triggers: the summary's source."""

from __future__ import annotations

from django.db import models

# A part's summed fields, in the summary's order (active accounts, followers, videos, likes).
SUMMED = ("active", "followers", "videos", "likes")


class AccountTotalsPart(models.Model):
    """One change of a workspace's totals over its live accounts; the totals are the SUM of
    the workspace's parts.

    The summary (active accounts, followers, videos, likes) was an aggregate over the
    workspace's live rows: O(workspace), 9.6 ms at 8,700 accounts, 40 ms at 97,000
    (bench/bench_million.py). Kept on one row per workspace it would cost one row read, but
    every sync's UPDATE would then update that row: a hot row, and a deadlock (T1 updates
    accounts A then B, T2 updates B then A: each holds an account's lock and waits for the
    other's, through the workspace row). Parts are only ever inserted by writers, so no row
    is locked by two writers.

    Database triggers (migration 0010; PostgreSQL and SQLite) insert a part in the
    transaction of every write that changes a live row's contribution, `(status == active,
    follower_count, video_count, likes_count)`: +contribution for a live row inserted,
    -contribution for one deleted, the difference for one updated (old and new owners apart
    when it moved; a soft delete or restore takes or gives its whole contribution). Writes
    that change none of those columns (a token refresh) insert nothing. From the ORM,
    `bulk_create`, `QuerySet.update()`, a cascade or raw SQL alike; Python never writes a
    part, except the compaction (services/totals.py), which replaces a workspace's parts by
    one holding their sum. A workspace with no part has totals of zero; its parts go with it
    (a trigger on the workspace's row deletes the parts its accounts' deletes added in the
    same cascade, after Django deleted the rest).
    """

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    active = models.IntegerField()
    followers = models.BigIntegerField()
    videos = models.BigIntegerField()
    likes = models.BigIntegerField()

    class Meta:
        verbose_name = "account totals part"
        indexes = [
            # The summary reads a workspace's parts: one after a compaction, a few before.
            models.Index(fields=["workspace"], name="tta_totals_part_ws"),
        ]

    def __str__(self) -> str:
        return f"{self.workspace_id}: {self.active}/{self.followers}/{self.videos}/{self.likes}"
