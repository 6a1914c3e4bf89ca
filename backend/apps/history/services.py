"""Writes of history: one account point per successful connect or sync, the retention of
every history, and the thinning of old account days to one point each."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db.models import Min, Model, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from apps.history.models import COUNT_FIELDS, HistoryPoint, ThinnedDay

PRUNE_BATCH_SIZE = 5_000
THIN_BATCH_SIZE = 5_000


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


def history_thin(*, now: datetime | None = None) -> int:
    """Thins each UTC day older than HISTORY_RAW_RETENTION_DAYS to the last point of every
    account on it (the one a `day` bucket answers); returns how many points it deleted.

    Only whole days, so the `day` bucket of the day the cutoff falls in is untouched too. Each
    day is done in keyset batches of THIN_BATCH_SIZE points, each its own short statement, then
    recorded (ThinnedDay) so no later run reads it again. Safe to run twice, at once or after
    a crash midway: a point is deleted only when it is not the last of its account's day, and
    deleting such points never changes which one is last.
    """
    now = now or timezone.now()
    first_raw_day = (now - timedelta(days=settings.HISTORY_RAW_RETENTION_DAYS)).astimezone(UTC)
    first_kept_day = (now - timedelta(days=settings.HISTORY_RETENTION_DAYS)).astimezone(UTC)
    # Older days are the retention's to delete (history_prune).
    ThinnedDay.objects.filter(day__lt=first_kept_day.date()).delete()
    oldest = HistoryPoint.objects.filter(at__lt=_day_start(first_raw_day.date())).aggregate(
        oldest=Min("at")
    )["oldest"]
    if oldest is None:
        return 0
    thinned = set(ThinnedDay.objects.values_list("day", flat=True))
    day = max(oldest.astimezone(UTC).date(), first_kept_day.date())
    deleted = 0
    while day < first_raw_day.date():
        if day not in thinned:
            deleted += _thin_day(day)
            ThinnedDay.objects.bulk_create([ThinnedDay(day=day)], ignore_conflicts=True)
        day += timedelta(days=1)
    return deleted


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _thin_day(day: date) -> int:
    """Deletes every point of `day` but the last of its account (by `at`, then id)."""
    start = _day_start(day)
    end = start + timedelta(days=1)
    # A subquery per point, never a join: each is one probe of (account, at) within the day.
    last = (
        HistoryPoint.objects.filter(account=OuterRef("account"), at__gte=start, at__lt=end)
        .order_by("-at", "-id")
        .values("id")[:1]
    )
    cursor_at, cursor_id, deleted = start, 0, 0
    while True:
        # Read in (at, id) order from the cursor, along the history_at index: no sort.
        batch = list(
            HistoryPoint.objects.filter(at__gte=cursor_at, at__lt=end)
            .filter(Q(at__gt=cursor_at) | Q(id__gt=cursor_id))
            .order_by("at", "id")
            .values_list("at", "id")[:THIN_BATCH_SIZE]
        )
        if not batch:
            return deleted
        cursor_at, cursor_id = batch[-1]
        ids = [pk for _, pk in batch]
        deleted += HistoryPoint.objects.filter(pk__in=ids).exclude(pk=Subquery(last)).delete()[0]
