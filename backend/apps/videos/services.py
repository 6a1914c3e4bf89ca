"""Writes on videos: a sync stores the account's newest videos as TikTok lists them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

from apps.audit.services import RequestMeta
from apps.core.fields import TokenUnreadableError
from apps.tiktok_accounts.models import TikTokAccount
from apps.tiktok_accounts.services.scoped_calls import api_error, call_with_token
from apps.videos.models import SYNCED_FIELDS, TikTokVideo
from integrations.tiktok import content_client
from integrations.tiktok.errors import TikTokError

logger = logging.getLogger(__name__)
SCOPE = "video.list"


@dataclass(frozen=True)
class VideoSyncResult:
    synced: int
    has_more: bool


def _videos_store(account: TikTokAccount, videos: list[content_client.Video]) -> None:
    """One INSERT ... ON CONFLICT UPDATE for the whole page, on PostgreSQL and SQLite alike."""
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
