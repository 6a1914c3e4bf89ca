"""How many live accounts each workspace has: the account list's unfiltered `total`, kept by
triggers."""

from __future__ import annotations

from django.db import models


class LiveAccountCount(models.Model):
    """A workspace's live (not soft-deleted) TikTok accounts, counted.

    The account list's `total` was a COUNT(*) over the workspace's live rows: 0.9 ms of database
    time at 10,000 accounts, the largest single part of an uncached list request
    (bench/http_bench.sh). Without a filter the list reads this row instead (list_page.py).

    Database triggers keep it (migrations 0005, then 0007 for workspaces; PostgreSQL and
    SQLite), in the transaction of the write, so it cannot drift from the rows: every insert,
    soft delete, restore, delete or change of owner counts, from the ORM, `bulk_create`,
    `QuerySet.update()`, a cascade or raw SQL. Python never writes it. A workspace with no row
    has no live account.
    """

    workspace = models.OneToOneField(
        "workspaces.Workspace", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    live = models.IntegerField()

    class Meta:
        verbose_name = "live account count"

    def __str__(self) -> str:
        return f"{self.workspace_id}: {self.live}"
