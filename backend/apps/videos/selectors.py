"""Reads on videos: one account's videos, keyset-paginated in one of three orders."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from apps.core.cursor import Page, keyset_page
from apps.tiktok_accounts.models import TikTokAccount
from apps.videos.models import SORTS, TikTokVideo


def video_list_page(
    *,
    user: AbstractBaseUser,
    account: TikTokAccount,
    limit: int,
    cursor: str | None = None,
    sort: str = "-create_time",
) -> Page[TikTokVideo]:
    """Two queries whatever the limit: the count and one index range scan for the page."""
    queryset = TikTokVideo.objects.filter(account=account)
    page = keyset_page(
        queryset,
        limit=limit,
        cursor=cursor,
        user_id=user.pk,
        listing=f"videos:{account.pk}",
        filters={"sort": sort},
        key=SORTS[sort],
    )
    return Page(items=page.items, next_cursor=page.next_cursor, total=queryset.count())
