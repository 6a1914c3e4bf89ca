"""Writes of history: one account point per successful connect or sync, and the retention."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db.models import Model, QuerySet
from django.utils import timezone

from apps.history.models import COUNT_FIELDS, HistoryPoint

PRUNE_BATCH_SIZE = 5_000


class Counted(Protocol):
    """What a point copies: an account's key and its COUNT_FIELDS (a TikTokAccount)."""

    pk: Any
    follower_count: int
    following_count: int
    likes_count: int
    video_count: int


def history_record(*, accounts: Iterable[Counted], at: datetime) -> None:
    """One point per account with its current counts, in one INSERT whatever the count.

    Called inside the transaction that stores the accounts, so a point exists exactly when
    the profile it copies does.
    """
    HistoryPoint.objects.bulk_create(
        HistoryPoint(
            account_id=account.pk, at=at, **{name: getattr(account, name) for name in COUNT_FIELDS}
        )
        for account in accounts
    )


def points_prune(points: QuerySet[Model], *, now: datetime | None = None) -> int:
    """Deletes the `points` (any series with an indexed `at`) older than
    HISTORY_RETENTION_DAYS; returns how many.

    One retention for every history the service keeps (accounts', videos'). In batches of
    PRUNE_BATCH_SIZE rows, each its own short statement, so a first run over a large backlog
    never holds a long lock or a huge transaction.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.HISTORY_RETENTION_DAYS)
    old = points.filter(at__lt=cutoff)
    deleted = 0
    while True:
        batch = list(old.values_list("pk", flat=True)[:PRUNE_BATCH_SIZE])
        if not batch:
            return deleted
        deleted += points.filter(pk__in=batch).delete()[0]


def history_prune(*, now: datetime | None = None) -> int:
    """Deletes account points past the retention; returns how many."""
    return points_prune(HistoryPoint.objects.all(), now=now)
