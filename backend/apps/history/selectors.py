"""Reads of history: points over a range, raw or per UTC bucket, and an account's change."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from django.db.models import Expression, F, Model, OuterRef, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber, Trunc

from apps.history.models import COUNT_FIELDS, HistoryPoint

P = TypeVar("P", bound=Model)


class Bucket(enum.StrEnum):
    RAW = "raw"
    HOUR = "hour"
    DAY = "day"


def bucketed_points(
    points: QuerySet[P], *, since: datetime, until: datetime, bucket: Bucket
) -> QuerySet[P]:
    """`points` (one series: an account's or a video's, each with `at` and `id`) with
    `since <= at <= until`, oldest first; per bucket, the last point of each UTC hour or day,
    with its own `at`.

    One SQL statement on every database: the range is read through the series' `(owner, at)`
    index and ROW_NUMBER() over each bucket, newest first, keeps row 1 (Django turns the
    filter on a window function into an outer query around it).
    """
    points = points.filter(at__gte=since, at__lte=until)
    if bucket != Bucket.RAW:
        points = points.annotate(
            rank=Window(
                RowNumber(),
                partition_by=Trunc("at", bucket.value, tzinfo=UTC),
                order_by=(F("at").desc(), F("id").desc()),
            )
        ).filter(rank=1)
    return points.order_by("at", "id")


def history_points(
    *, account_id: uuid.UUID, since: datetime, until: datetime, bucket: Bucket
) -> QuerySet[HistoryPoint]:
    """An account's points over a range, as `bucketed_points` gives them."""
    points = HistoryPoint.objects.filter(account_id=account_id)
    return bucketed_points(points, since=since, until=until, bucket=bucket).only(
        "at", *COUNT_FIELDS
    )


@dataclass(frozen=True)
class HistorySpan:
    """The point an analytics period starts from and the latest one (None: no points)."""

    start: HistoryPoint | None
    end: HistoryPoint | None


def history_span(*, account_id: uuid.UUID, since: datetime) -> HistorySpan:
    """`start`: the last point at or before `since`, else the first after it (an account
    connected since); `end`: the latest point. Two or three top-1 reads of the `(account, at)`
    index, whatever the length of the history."""
    points = HistoryPoint.objects.filter(account_id=account_id).only("at", *COUNT_FIELDS)
    end = points.order_by("-at", "-id").first()
    if end is None:
        return HistorySpan(start=None, end=None)
    start = points.filter(at__lte=since).order_by("-at", "-id").first()
    if start is None:
        start = points.filter(at__gt=since).order_by("at", "id").first()
    return HistorySpan(start=start, end=end)


def followers_change(*, days: int, now: datetime) -> Expression:
    """Annotation for an account queryset: followers now minus `days` ago (NULL: no history).

    "Then" is the last point at or before the cutoff, or the first one after it for an account
    connected since; two correlated subqueries on the `(account, at)` index, so a page of
    accounts costs no query per row.
    """
    cutoff = now - timedelta(days=days)
    points = HistoryPoint.objects.filter(account=OuterRef("pk"))
    before = points.filter(at__lte=cutoff).order_by("-at").values("follower_count")[:1]
    after = points.filter(at__gt=cutoff).order_by("at").values("follower_count")[:1]
    return F("follower_count") - Coalesce(Subquery(before), Subquery(after))


EXPORT_CHUNK_SIZE = 2_000


def history_export_rows(points: QuerySet[HistoryPoint]) -> Iterator[tuple[Any, ...]]:
    """`history_points` as `(at, *COUNT_FIELDS)` tuples, read in chunks of EXPORT_CHUNK_SIZE
    (a server-side cursor on PostgreSQL), so an export's memory stays flat."""
    return points.values_list("at", *COUNT_FIELDS).iterator(chunk_size=EXPORT_CHUNK_SIZE)
