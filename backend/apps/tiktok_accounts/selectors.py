"""Reads on TikTok accounts: one account, the per-user summary (the list page: list_page)."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from apps.core.errors import AccountNotFound
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount


def account_get(*, user: AbstractBaseUser, account_id: uuid.UUID) -> TikTokAccount:
    """The caller's live account, or ACCOUNT_NOT_FOUND (never saying whose or whether deleted)."""
    account = TikTokAccount.objects.filter(user=user, id=account_id).first()
    if account is None:
        raise AccountNotFound
    return account


def account_summary(*, user: AbstractBaseUser) -> dict[str, int]:
    """Totals over the caller's live accounts: one aggregate query (the route caches it)."""
    return TikTokAccount.objects.filter(user=user).aggregate(
        total_accounts=Count("id"),
        active_accounts=Count("id", filter=Q(status=AccountStatus.ACTIVE)),
        total_followers=Coalesce(Sum("follower_count"), 0),
        total_videos=Coalesce(Sum("video_count"), 0),
        total_likes=Coalesce(Sum("likes_count"), 0),
    )
