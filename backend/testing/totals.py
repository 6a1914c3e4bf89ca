"""What tests of the account totals check: the summary against an aggregate of the rows."""

from __future__ import annotations

import uuid

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from apps.tiktok_accounts.models import AccountStatus, AccountTotalsPart, TikTokAccount
from apps.tiktok_accounts.selectors import account_summary
from apps.workspaces.models import Workspace


def summary_from_rows(workspace_id: uuid.UUID) -> dict[str, int]:
    """What the summary was before the parts: an aggregate over the live rows."""
    return TikTokAccount.objects.filter(workspace_id=workspace_id).aggregate(
        total_accounts=Count("id"),
        active_accounts=Count("id", filter=Q(status=AccountStatus.ACTIVE)),
        total_followers=Coalesce(Sum("follower_count"), 0),
        total_videos=Coalesce(Sum("video_count"), 0),
        total_likes=Coalesce(Sum("likes_count"), 0),
    )


def assert_summaries_are_the_rows() -> None:
    """Every workspace's summary (ints) is its rows' aggregate; no part outlives its workspace
    (the foreign key is only checked at commit)."""
    for workspace_id in Workspace.objects.values_list("id", flat=True):
        summary = account_summary(workspace_id=workspace_id)
        assert summary == summary_from_rows(workspace_id), workspace_id
        assert {type(value) for value in summary.values()} == {int}
    assert not AccountTotalsPart.objects.exclude(workspace__in=Workspace.objects.all()).exists()


def parts_per_workspace() -> dict[uuid.UUID, int]:
    rows = AccountTotalsPart.objects.values("workspace_id").annotate(n=Count("id"))
    return {row["workspace_id"]: row["n"] for row in rows}
