"""An account's analytics over a period: its counts' change (history) and how the videos it
created in the period did (videos)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from apps.history.period import Change, history_period, percent
from apps.tiktok_accounts.models import TikTokAccount
from apps.videos.models import TikTokVideo
from apps.videos.selectors import video_totals, videos_created_between

TOP_VIDEOS = 5


class Period(enum.IntEnum):
    """The periods analytics offers, in days."""

    WEEK = 7
    MONTH = 30
    QUARTER = 90


@dataclass(frozen=True)
class AccountAnalytics:
    account_id: object
    days: int
    since: datetime
    until: datetime
    followers: Change
    likes: Change
    videos: Change
    engagement_rate: float | None
    top_videos: list[TikTokVideo]


def account_analytics(*, account: TikTokAccount, days: int, now: datetime) -> AccountAnalytics:
    """The period is `[now - days, now]`. Four or five statements, each on an index: the
    history's start and end points, the videos' totals, and the top videos."""
    since = now - timedelta(days=days)
    figures = history_period(account_id=account.pk, since=since)
    totals = video_totals(account=account, since=since, until=now)
    engaged = totals["like_count"] + totals["comment_count"] + totals["share_count"]
    top = videos_created_between(account=account, since=since, until=now).order_by(
        "-view_count", "-id"
    )[:TOP_VIDEOS]
    return AccountAnalytics(
        account_id=account.pk,
        days=days,
        since=since,
        until=now,
        engagement_rate=percent(engaged, totals["view_count"]),
        top_videos=list(top),
        **figures,
    )
