"""Reads on videos: one account's videos, keyset-paginated in one of three orders."""

from __future__ import annotations

from apps.core.cursor import Page, keyset_page
from apps.tiktok_accounts.models import TikTokAccount
from apps.videos.models import SORTS, TikTokVideo


def video_list_page(
    *,
    owner: str,
    account: TikTokAccount,
    limit: int,
    cursor: str | None = None,
    sort: str = "-create_time",
) -> Page[TikTokVideo]:
    """Two queries whatever the limit: the count and one index range scan for the page.
    `owner`: what the cursor is bound to (WorkspaceAccess.owner)."""
    queryset = TikTokVideo.objects.filter(account=account)
    page = keyset_page(
        queryset,
        limit=limit,
        cursor=cursor,
        owner=owner,
        listing=f"videos:{account.pk}",
        filters={"sort": sort},
        key=SORTS[sort],
    )
    return Page(items=page.items, next_cursor=page.next_cursor, total=queryset.count())
