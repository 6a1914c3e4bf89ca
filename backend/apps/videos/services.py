"""Writes on videos: a sync stores the account's newest videos as TikTok lists them, and a
history point for each whose counts changed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from apps.audit.services import RequestMeta
from apps.core.fields import TokenUnreadableError
from apps.history.services import points_prune
from apps.tiktok_accounts.models import TikTokAccount
from apps.tiktok_accounts.services.scoped_calls import api_error, call_with_token
from apps.videos.models import (
    SYNCED_FIELDS,
    VIDEO_COUNT_FIELDS,
    TikTokVideo,
    VideoHistoryPoint,
)
from integrations.tiktok import content_client
from integrations.tiktok.errors import TikTokError

logger = logging.getLogger(__name__)
SCOPE = "video.list"


@dataclass(frozen=True)
class VideoSyncResult:
    synced: int
    has_more: bool


@transaction.atomic
def _videos_store(account: TikTokAccount, videos: list[content_client.Video]) -> None:
    """One INSERT ... ON CONFLICT UPDATE for the whole page, on PostgreSQL and SQLite alike,
    then the page's history points (two more statements at most)."""
    now = timezone.now()
    TikTokVideo.objects.bulk_create(
        [
            TikTokVideo(
                account=account,
                video_id=video.id,
                title=video.title,
                video_description=video.video_description,
                duration=video.duration,
                cover_image_url=video.cover_image_url,
                share_url=video.share_url,
                embed_link=video.embed_link,
                create_time=datetime.fromtimestamp(video.create_time, tz=UTC),
                view_count=video.view_count,
                like_count=video.like_count,
                comment_count=video.comment_count,
                share_count=video.share_count,
                synced_at=now,
            )
            # Unique by id: PostgreSQL refuses an upsert that touches one row twice.
            for video in {video.id: video for video in videos}.values()
        ],
        update_conflicts=True,
        unique_fields=["account", "video_id"],
        update_fields=SYNCED_FIELDS,
    )
    _video_history_record(account, [video.id for video in videos], at=now)


def _video_history_record(account: TikTokAccount, video_ids: list[str], *, at: datetime) -> None:
    """A point for each of the page's videos whose counts differ from its latest point (or
    that has none): one SELECT, the latest point of each read as top-1 subqueries of the
    `(video, at)` index, and one INSERT.

    Runs in the upsert's transaction: the upsert holds the page's rows until commit, so two
    syncs of one account take turns, and the second compares with the first one's points.
    """
    latest = VideoHistoryPoint.objects.filter(video=OuterRef("pk")).order_by("-at", "-id")
    rows = TikTokVideo.objects.filter(account=account, video_id__in=video_ids).values_list(
        "pk",
        *VIDEO_COUNT_FIELDS,
        *(Subquery(latest.values(name)[:1]) for name in VIDEO_COUNT_FIELDS),
    )
    size = len(VIDEO_COUNT_FIELDS)
    VideoHistoryPoint.objects.bulk_create(
        VideoHistoryPoint(video_id=pk, at=at, **dict(zip(VIDEO_COUNT_FIELDS, current, strict=True)))
        for pk, *counts in rows
        if (current := counts[:size]) != counts[size:]
    )


def video_history_prune(*, now: datetime | None = None) -> int:
    """Deletes video points past the account history's retention; returns how many."""
    return points_prune(VideoHistoryPoint.objects.all(), now=now)


def account_videos_sync(*, account: TikTokAccount, meta: RequestMeta) -> VideoSyncResult:
    """Fetches up to VIDEO_SYNC_MAX_PAGES pages of the newest videos and upserts each page.

    No transaction spans an HTTP call: each page is stored as it arrives, so a failure on page
    5 keeps pages 1-4 (correct data) and answers the contract's error. `meta` is the caller's,
    kept for the audit trail's sake should video syncs ever be audited (the contract names no
    action for them today).
    """
    synced, cursor, has_more = 0, None, False
    try:
        for _ in range(settings.VIDEO_SYNC_MAX_PAGES):
            page = call_with_token(
                account,
                SCOPE,
                lambda token, at=cursor: content_client.list_videos(access_token=token, cursor=at),
            )
            if page.videos:
                _videos_store(account, page.videos)
            synced += len(page.videos)
            cursor, has_more = page.cursor, page.has_more
            if not has_more:
                break
    except (TikTokError, TokenUnreadableError) as exc:
        logger.warning("Account %s: video sync failed: %s", account.pk, type(exc).__name__)
        raise api_error(exc, SCOPE) from exc
    return VideoSyncResult(synced=synced, has_more=has_more)
