"""Reads on TikTok accounts: one account, the per-workspace summary (the list page: list_page)."""

from __future__ import annotations

import uuid

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from apps.core.errors import AccountNotFound
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount


def account_get(*, workspace_id: uuid.UUID, account_id: uuid.UUID) -> TikTokAccount:
    """The workspace's live account, or ACCOUNT_NOT_FOUND (never saying whose or whether
    deleted)."""
    account = TikTokAccount.objects.filter(workspace_id=workspace_id, id=account_id).first()
    if account is None:
        raise AccountNotFound
    return account


def account_summary(*, workspace_id: uuid.UUID) -> dict[str, int]:
    """Totals over the workspace's live accounts: one aggregate query (the route caches it)."""
    return TikTokAccount.objects.filter(workspace_id=workspace_id).aggregate(
        total_accounts=Count("id"),
        active_accounts=Count("id", filter=Q(status=AccountStatus.ACTIVE)),
        total_followers=Coalesce(Sum("follower_count"), 0),
        total_videos=Coalesce(Sum("video_count"), 0),
        total_likes=Coalesce(Sum("likes_count"), 0),
    )
