"""Request and response shapes of `GET /api/accounts/{account_id}/history`."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Self

from django.utils import timezone
from ninja import Schema
from pydantic import model_validator

from apps.history.selectors import Bucket

DEFAULT_RANGE = timedelta(days=30)
MAX_RANGE = timedelta(days=366)


class HistoryQuery(Schema):
    """`since`/`until` default to the last 30 days up to now; a time without offset is UTC."""

    since: datetime | None = None
    until: datetime | None = None
    bucket: Bucket = Bucket.DAY

    @model_validator(mode="after")
    def range_is_bounded(self) -> Self:
        self.until = _utc(self.until) if self.until else timezone.now()
        self.since = _utc(self.since) if self.since else self.until - DEFAULT_RANGE
        if self.since > self.until:
            raise ValueError("since must not be after until")
        if self.until - self.since > MAX_RANGE:
            raise ValueError("the range from since to until must not exceed 366 days")
        return self


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class HistoryPointOut(Schema):
    at: datetime
    follower_count: int
    following_count: int
    likes_count: int
    video_count: int


class HistoryOut(Schema):
    account_id: uuid.UUID
    bucket: Bucket
    points: list[HistoryPointOut]
