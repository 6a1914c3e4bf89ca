"""Periodic work, run eagerly: refresh ahead of expiry and the scheduled sync.

Transactional: the worker threads use their own database connections.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.audit.models import AuditLog
from apps.events.models import Event, EventType
from apps.history.models import HistoryPoint
from apps.outbound_webhooks.models import Delivery, WebhookEndpoint
from apps.scheduling import tasks
from apps.scheduling.models import PeriodicClaim
from apps.tiktok_accounts.models import AccountStatus, AccountTotalsPart, TikTokAccount
from apps.videos.models import TikTokVideo, VideoHistoryPoint
from apps.webhooks.models import WebhookEvent, WebhookStatus
from testing.factories import TikTokAccountFactory, TikTokVideoFactory, personal_workspace

pytestmark = pytest.mark.django_db(transaction=True)


def _expiring_in(minutes: float) -> dict:
    return {"access_token_expires_at": timezone.now() + timedelta(minutes=minutes)}


def _next_period() -> None:
    """As if the interval had passed: the next run claims a new period."""
    PeriodicClaim.objects.all().delete()


def _entries(account, action: str) -> list[AuditLog]:
    return list(AuditLog.objects.filter(resource_id=account.id, action=action))


# --- refresh ahead of expiry ------------------------------------------------------------------


def test_refresh_ahead_refreshes_live_active_accounts_expiring_within_the_window_only(
    user, link_account, fake_tiktok
) -> None:
    due, _ = link_account(user, **_expiring_in(20))
    far, _ = link_account(user, **_expiring_in(24 * 60))
    dead, _ = link_account(user, status=AccountStatus.TOKEN_EXPIRED, **_expiring_in(20))
    deleted, _ = link_account(user, is_deleted=True, **_expiring_in(20))

    assert tasks.refresh_tokens_ahead.delay().get() == 1

    assert fake_tiktok.count("refresh") == 1
    assert TikTokAccount.objects.get(pk=due.pk).token_version == due.token_version + 1
    for untouched in (far, dead, deleted):
        fresh = TikTokAccount.all_objects.get(pk=untouched.pk)
        assert fresh.token_version == untouched.token_version
        assert _entries(untouched, "token_refresh") == []
    [entry] = _entries(due, "token_refresh")
    assert entry.metadata == {"outcome": "succeeded", "actor": "system", "user_id": None}
    assert entry.ip_address is None


def test_refresh_ahead_runs_once_per_period_and_never_rotates_a_fresh_token(
    user, link_account, fake_tiktok
) -> None:
    due, _ = link_account(user, **_expiring_in(20))

    tasks.refresh_tokens_ahead.delay()
    assert tasks.refresh_tokens_ahead.delay().get() == 0  # a second scheduler, same period
    _next_period()
    assert tasks.refresh_tokens_ahead.delay().get() == 0  # now far from expiry

    assert fake_tiktok.count("refresh") == 1
    assert len(_entries(due, "token_refresh")) == 1


def test_a_refused_refresh_marks_the_account_expired_once_without_retrying(
    user, link_account, fake_tiktok
) -> None:
    account, _ = link_account(user, **_expiring_in(20))
    fake_tiktok.add_fault("refresh", "invalid_grant", open_id=account.open_id)

    tasks.refresh_tokens_ahead.delay()
    for _ in range(3):
        _next_period()
        tasks.refresh_tokens_ahead.delay()

    assert fake_tiktok.count("refresh") == 1
    assert TikTokAccount.objects.get(pk=account.pk).status == AccountStatus.TOKEN_EXPIRED
    [entry] = _entries(account, "token_refresh")
    assert entry.metadata["outcome"] == "reauth_required"


def test_a_passing_refresh_failure_is_audited_with_its_code_and_keeps_the_status(
    user, link_account, fake_tiktok
) -> None:
    account, _ = link_account(user, **_expiring_in(20))
    fake_tiktok.add_fault("refresh", "server_error", times=1)

    tasks.refresh_tokens_ahead.delay()

    assert TikTokAccount.objects.get(pk=account.pk).status == AccountStatus.ACTIVE
    [entry] = _entries(account, "token_refresh")
    assert entry.metadata["outcome"] == "TIKTOK_UPSTREAM_ERROR"
    _next_period()
    tasks.refresh_tokens_ahead.delay()  # the next period tries again
    outcomes = sorted(e.metadata["outcome"] for e in _entries(account, "token_refresh"))
    assert outcomes == ["TIKTOK_UPSTREAM_ERROR", "succeeded"]


# --- scheduled sync ---------------------------------------------------------------------------


def test_scheduled_sync_picks_stale_live_active_accounts_only_once_per_period(
    user, link_account, fake_tiktok
) -> None:
    hours_ago = lambda hours: {"last_synced_at": timezone.now() - timedelta(hours=hours)}  # noqa: E731
    stale, _ = link_account(user, **hours_ago(7))
    never, _ = link_account(user, last_synced_at=None)
    fresh, _ = link_account(user, **hours_ago(1))
    expired, _ = link_account(user, status=AccountStatus.TOKEN_EXPIRED, **hours_ago(7))
    deleted, _ = link_account(user, is_deleted=True, **hours_ago(7))

    assert tasks.sync_stale_accounts.delay().get() == 2
    assert tasks.sync_stale_accounts.delay().get() == 0  # same period
    _next_period()
    assert tasks.sync_stale_accounts.delay().get() == 0  # synced: no longer stale

    synced = {r.open_id for r in fake_tiktok.requests if r.endpoint == "user_info"}
    assert synced == {stale.open_id, never.open_id}
    assert fake_tiktok.count("user_info") == 2
    for account in (stale, never):
        [entry] = _entries(account, "sync")
        assert entry.metadata["actor"] == "system"
        assert entry.metadata["scheduled"] is True
        assert entry.ip_address is None
        assert (
            TikTokAccount.objects.get(pk=account.pk).follower_count == account.follower_count + 100
        )
    for account in (fresh, expired, deleted):
        assert _entries(account, "sync") == []


def test_scheduled_sync_records_video_points_only_for_videos_whose_counts_changed(
    user, link_account, fake_tiktok
) -> None:
    account, person = link_account(user, last_synced_at=None)
    fake_tiktok.content.set_videos(person.open_id, 3)

    tasks.sync_stale_accounts.delay()
    fake_tiktok.content.add_views(person.open_id, 2, 40)
    for _ in range(2):  # the next periods, the account stale again: one change in all
        _next_period()
        TikTokAccount.objects.filter(pk=account.pk).update(last_synced_at=None)
        tasks.sync_stale_accounts.delay()

    assert fake_tiktok.count("video_list") == 3
    points = VideoHistoryPoint.objects.filter(video__account=account)
    assert points.count() == 4
    newest = TikTokVideo.objects.filter(account=account).order_by("-create_time").first()
    assert list(points.filter(video=newest).values_list("view_count", flat=True)) == [
        newest.view_count - 40,
        newest.view_count,
    ]


# --- daily retention --------------------------------------------------------------------------


def _point(account, *, days_ago: int) -> HistoryPoint:
    at = timezone.now() - timedelta(days=days_ago)
    counts = dict.fromkeys(("follower_count", "following_count", "likes_count", "video_count"), 1)
    return HistoryPoint.objects.create(account=account, at=at, **counts)


def _video_point(video, days_ago: int) -> VideoHistoryPoint:
    counts = dict.fromkeys(("view_count", "like_count", "comment_count", "share_count"), 1)
    return VideoHistoryPoint.objects.create(
        video=video, at=timezone.now() - timedelta(days=days_ago), **counts
    )


def _event(key: str, *, days_ago: int) -> WebhookEvent:
    return WebhookEvent.objects.create(
        dedup_key=key,
        event="authorization.removed",
        user_openid="someone",
        create_time=0,
        content="{}",
        status=WebhookStatus.IGNORED,
        received_at=timezone.now() - timedelta(days=days_ago),
    )


def _delivery(user, *, days_ago: int) -> Delivery:
    """An outbound webhook delivery (and its event) made `days_ago` days ago."""
    made = timezone.now() - timedelta(days=days_ago)
    workspace = personal_workspace(user)
    endpoint = WebhookEndpoint.objects.create(workspace=workspace, url="https://a.example/")
    event = Event.objects.create(workspace=workspace, type=EventType.PING, created_at=made)
    return Delivery.objects.create(endpoint=endpoint, event=event, created_at=made)


@time_machine.travel(datetime(2026, 3, 2, 12, tzinfo=UTC), tick=False)
def test_daily_retention_deletes_what_is_kept_for_a_limited_time_once_a_day(user, settings) -> None:
    settings.HISTORY_RETENTION_DAYS = 30
    settings.OUTBOUND_WEBHOOK_RETENTION_DAYS = 30
    old_delivery, new_delivery = _delivery(user, days_ago=31), _delivery(user, days_ago=29)
    account = TikTokAccountFactory(user=user)
    old_point, new_point = _point(account, days_ago=31), _point(account, days_ago=29)
    video = TikTokVideoFactory(account=account)
    old_video_point, new_video_point = _video_point(video, 31), _video_point(video, 29)
    old_event, new_event = _event("old", days_ago=5), _event("new", days_ago=3)
    PeriodicClaim.objects.create(key="old", claimed_at=timezone.now() - timedelta(days=8))

    tasks.daily_retention.delay()
    fresh_point = _point(account, days_ago=31)  # as if it aged meanwhile: the next day's work
    tasks.daily_retention.delay()  # a second scheduler, the same day: nothing

    assert set(HistoryPoint.objects.values_list("pk", flat=True)) == {new_point.pk, fresh_point.pk}
    assert list(WebhookEvent.objects.values_list("pk", flat=True)) == [new_event.pk]
    assert list(PeriodicClaim.objects.values_list("key", flat=True)) == [
        f"daily_retention:86400:{int(datetime(2026, 3, 2, tzinfo=UTC).timestamp()) // 86400}"
    ]
    assert not HistoryPoint.objects.filter(pk=old_point.pk).exists()
    assert list(VideoHistoryPoint.objects.values_list("pk", flat=True)) == [new_video_point.pk]
    assert old_video_point.pk != new_video_point.pk
    assert not WebhookEvent.objects.filter(pk=old_event.pk).exists()
    assert list(Delivery.objects.values_list("pk", flat=True)) == [new_delivery.pk]
    assert not Event.objects.filter(pk=old_delivery.event_id).exists()


def test_history_thinning_runs_once_an_hour_whatever_the_schedulers(user) -> None:
    account = TikTokAccountFactory(user=user)
    with time_machine.travel(datetime(2026, 6, 15, 10, 30, tzinfo=UTC), tick=False):
        old = [_point(account, days_ago=100) for _ in range(3)]
        tasks.history_thin_old_days.delay()
        again = _point(account, days_ago=100)  # left alone by a run that does nothing
        tasks.history_thin_old_days.delay()  # a second scheduler, the same hour: nothing

        assert set(HistoryPoint.objects.values_list("pk", flat=True)) == {old[-1].pk, again.pk}


def test_totals_compaction_runs_once_a_minute_whatever_the_schedulers(user) -> None:
    with time_machine.travel(datetime(2026, 6, 15, 10, 30, 5, tzinfo=UTC), tick=False):
        TikTokAccountFactory.create_batch(3, user=user)
        assert tasks.compact_account_totals.delay().get() == 1  # three parts -> one
        TikTokAccountFactory(user=user)
        assert tasks.compact_account_totals.delay().get() == 0  # a second scheduler: nothing
        assert AccountTotalsPart.objects.count() == 2

    with time_machine.travel(datetime(2026, 6, 15, 10, 31, 5, tzinfo=UTC), tick=False):
        assert tasks.compact_account_totals.delay().get() == 1  # the next minute

    assert AccountTotalsPart.objects.count() == 1
