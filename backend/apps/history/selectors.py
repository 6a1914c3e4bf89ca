"""Reads of account history: the points of one account over a range, raw or per UTC bucket."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime, timedelta

from django.db.models import Expression, F, OuterRef, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber, Trunc

from apps.history.models import COUNT_FIELDS, HistoryPoint


class Bucket(enum.StrEnum):
    RAW = "raw"
    HOUR = "hour"
    DAY = "day"


def history_points(
    *, account_id: uuid.UUID, since: datetime, until: datetime, bucket: Bucket
) -> QuerySet[HistoryPoint]:
    """Points with `since <= at <= until`, oldest first; per bucket, the last point of each UTC
    hour or day, with its own `at`.

    One SQL statement on every database: the range is read through the `(account, at)` index
    and ROW_NUMBER() over each bucket, newest first, keeps row 1 (Django turns the filter on a
    window function into an outer query around it).
    """
    points = HistoryPoint.objects.filter(account_id=account_id, at__gte=since, at__lte=until)
    if bucket != Bucket.RAW:
        points = points.annotate(
            rank=Window(
                RowNumber(),
                partition_by=Trunc("at", bucket.value, tzinfo=UTC),
                order_by=(F("at").desc(), F("id").desc()),
            )
        ).filter(rank=1)
    return points.order_by("at", "id").only("at", *COUNT_FIELDS)


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
