"""Reads on videos: one account's videos, keyset-paginated in one of three orders."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from apps.core.cursor import keyset_page
from apps.tiktok_accounts.models import TikTokAccount
from apps.videos.models import SORTS, TikTokVideo


@dataclass(frozen=True)
class VideoPage:
    items: list[TikTokVideo]
    total: int
    next_cursor: str | None

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None


def video_list_page(
    *,
    user: AbstractBaseUser,
    account: TikTokAccount,
    limit: int,
    cursor: str | None = None,
    sort: str = "-create_time",
) -> VideoPage:
    """Two queries whatever the limit: the count and one index range scan for the page."""
    queryset = TikTokVideo.objects.filter(account=account)
    items, next_cursor = keyset_page(
        queryset,
        limit=limit,
        cursor=cursor,
        user_id=user.pk,
        listing=f"videos:{account.pk}",
        filters={"sort": sort},
        key=SORTS[sort],
    )
    return VideoPage(items=items, total=queryset.count(), next_cursor=next_cursor)
