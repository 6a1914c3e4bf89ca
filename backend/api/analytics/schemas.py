"""Request and response shapes of `GET /api/accounts/{account_id}/analytics`."""

import uuid
from datetime import datetime

from ninja import Schema

from api.videos.schemas import VideoOut
from apps.analytics.selectors import Period


class AnalyticsQuery(Schema):
    days: Period = Period.MONTH


class ChangeOut(Schema):
    """Where a count started and ended in the period; all null when there is no history."""

    start: int | None
    end: int | None
    change: int | None
    change_pct: float | None


class AnalyticsOut(Schema):
    account_id: uuid.UUID
    days: int
    since: datetime
    until: datetime
    followers: ChangeOut
    likes: ChangeOut
    videos: ChangeOut
    engagement_rate: float | None
    top_videos: list[VideoOut]
