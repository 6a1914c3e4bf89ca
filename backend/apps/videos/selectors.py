"""Reads on videos: one account's videos (keyset pages, a period's figures), a video's history."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime

from django.db.models import QuerySet, Sum

from apps.core.cursor import Page, keyset_page
from apps.core.errors import AccountNotFound
from apps.history.selectors import Bucket, bucketed_points
from apps.tiktok_accounts.models import TikTokAccount
from apps.videos.models import SORTS, VIDEO_COUNT_FIELDS, TikTokVideo, VideoHistoryPoint

# The columns of an account's videos export, in order.
EXPORT_FIELDS = (
    "id",
    "video_id",
    "create_time",
    "title",
    "duration",
    "view_count",
    "like_count",
    "comment_count",
    "share_count",
    "share_url",
)
EXPORT_CHUNK_SIZE = 2_000


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


def video_history_points(
    *, account: TikTokAccount, video_id: uuid.UUID, since: datetime, until: datetime, bucket: Bucket
) -> QuerySet[VideoHistoryPoint]:
    """The account's video's points over a range, as account history buckets them; a video
    of another account is ACCOUNT_NOT_FOUND, as the contract says (one query to check it)."""
    if not TikTokVideo.objects.filter(account=account, pk=video_id).exists():
        raise AccountNotFound
    points = VideoHistoryPoint.objects.filter(video_id=video_id)
    return bucketed_points(points, since=since, until=until, bucket=bucket).only(
        "at", *VIDEO_COUNT_FIELDS
    )


def videos_created_between(
    *, account: TikTokAccount, since: datetime, until: datetime
) -> QuerySet[TikTokVideo]:
    """The account's videos created in `[since, until]`: a range of the `(account,
    -create_time)` index."""
    return TikTokVideo.objects.filter(
        account=account, create_time__gte=since, create_time__lte=until
    )


def video_totals(*, account: TikTokAccount, since: datetime, until: datetime) -> dict[str, int]:
    """Views, likes, comments and shares summed over the videos created in the period (0s
    when there are none): one aggregate over the index range."""
    totals = videos_created_between(account=account, since=since, until=until).aggregate(
        **{name: Sum(name) for name in VIDEO_COUNT_FIELDS}
    )
    return {name: value or 0 for name, value in totals.items()}


def video_export_rows(*, account: TikTokAccount) -> Iterator[tuple]:
    """Every video of the account, newest first, as EXPORT_FIELDS tuples, read in chunks of
    EXPORT_CHUNK_SIZE (a server-side cursor on PostgreSQL): memory stays flat."""
    return (
        TikTokVideo.objects.filter(account=account)
        .order_by("-create_time", "-id")
        .values_list(*EXPORT_FIELDS)
        .iterator(chunk_size=EXPORT_CHUNK_SIZE)
    )
