"""Reads on TikTok accounts: the list page, one account, the per-user summary."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from apps.core.cursor import keyset_page
from apps.core.errors import AccountNotFound
from apps.core.outages import cache_delete, cache_get, cache_set
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount

SUMMARY_TTL_SECONDS = 300
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
    items: list[TikTokAccount]
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
    """Newest first, keyset-paginated; `total` ignores the cursor. Two queries, any limit."""
    queryset = TikTokAccount.objects.filter(user=user)
    if status:
        queryset = queryset.filter(status=status)
    if search:
        queryset = queryset.filter(search_text__contains=search.casefold())
    total = queryset.count()
    items, next_cursor = keyset_page(
        queryset.only(*LIST_FIELDS),
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


def _summary_key(user_id: object) -> str:
    return f"accounts-summary:{user_id}"


def account_summary(*, user: AbstractBaseUser) -> dict[str, int]:
    """Totals over the caller's live accounts: one aggregate query, then the cache."""
    key = _summary_key(user.pk)
    summary = cache_get(key)
    if summary is None:
        summary = TikTokAccount.objects.filter(user=user).aggregate(
            total_accounts=Count("id"),
            active_accounts=Count("id", filter=Q(status=AccountStatus.ACTIVE)),
            total_followers=Coalesce(Sum("follower_count"), 0),
            total_videos=Coalesce(Sum("video_count"), 0),
            total_likes=Coalesce(Sum("likes_count"), 0),
        )
        cache_set(key, summary, SUMMARY_TTL_SECONDS)
    return summary


def summary_invalidate(*, user_id: object) -> None:
    """Called by every write to a user's accounts; takes effect when the write commits."""
    transaction.on_commit(lambda: cache_delete(_summary_key(user_id)))
