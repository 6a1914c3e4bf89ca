"""Reads on TikTok accounts: the list page, one account, the per-user summary."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from apps.core.cursor import keyset_page
from apps.core.errors import AccountNotFound
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.tiktok_accounts.read_cache import account_reads_invalidate

# The one invalidation of a user's cached reads, under the name every write path calls.
summary_invalidate = account_reads_invalidate
# Everything a list item shows; the encrypted tokens are never loaded for a listing.
LIST_FIELDS = (
    "id",
    "open_id",
    "username",
    "display_name",
    "avatar_url",
    "is_verified",
    "follower_count",
    "following_count",
    "likes_count",
    "video_count",
    "status",
    "last_synced_at",
    "created_at",
)


@dataclass(frozen=True)
class AccountPage:
    items: list[dict[str, Any]]  # LIST_FIELDS of each row, in that order
    total: int
    next_cursor: str | None

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None


def account_list_page(
    *,
    user: AbstractBaseUser,
    limit: int,
    cursor: str | None = None,
    search: str | None = None,
    status: AccountStatus | None = None,
) -> AccountPage:
    """Newest first, keyset-paginated; `total` ignores the cursor. Two queries, any limit.

    Rows come as dicts of LIST_FIELDS (`values()`): no model instance per row."""
    queryset = TikTokAccount.objects.filter(user=user)
    if status:
        queryset = queryset.filter(status=status)
    if search:
        queryset = queryset.filter(search_text__contains=search.casefold())
    total = queryset.count()
    items, next_cursor = keyset_page(
        queryset.values(*LIST_FIELDS),
        limit=limit,
        cursor=cursor,
        user_id=user.pk,
        listing="accounts",
        filters={"search": search or "", "status": status or ""},
    )
    return AccountPage(items=items, total=total, next_cursor=next_cursor)


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
