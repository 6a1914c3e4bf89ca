"""Periodic work, run eagerly: refresh ahead of expiry, scheduled sync, the TikTok budget.

Transactional: the worker threads use their own database connections.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from api.accounts.tests.utils import assert_error
from apps.audit.models import AuditLog
from apps.jobs.models import PeriodicClaim
from apps.tiktok_accounts import tasks
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from integrations.tiktok import budget

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
    assert entry.metadata == {"outcome": "succeeded", "actor": "system"}
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


# --- the TikTok budget and the audit actor ----------------------------------------------------


def test_a_request_that_finds_no_budget_answers_429_without_calling_tiktok(
    auth_client, user, link_account, fake_tiktok, settings
) -> None:
    settings.TIKTOK_REQUESTS_PER_MINUTE = 1
    first, _ = link_account(user)
    second, _ = link_account(user)
    assert auth_client.post(f"/api/accounts/{first.id}/sync").status_code == 200

    response = auth_client.post(f"/api/accounts/{second.id}/sync")

    assert_error(response, 429, "TIKTOK_RATE_LIMITED")
    assert 1 <= int(response["Retry-After"]) <= 61
    assert fake_tiktok.count("user_info") == 1


def test_background_work_waits_for_budget_instead_of_failing(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.TIKTOK_REQUESTS_PER_MINUTE = 1
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        budget.budget_reset()  # the window slides on while we wait

    monkeypatch.setattr(budget.time, "sleep", sleep)
    budget.budget_take()
    with budget.budget_waiting():
        budget.budget_take()

    assert len(slept) == 1
    assert 0 < slept[0] <= 5.1


def test_a_users_request_is_audited_with_actor_user_and_its_ip(
    auth_client, user, link_account, fake_tiktok
) -> None:
    account, _ = link_account(user)

    auth_client.post(f"/api/accounts/{account.id}/sync")

    [entry] = _entries(account, "sync")
    assert entry.metadata["actor"] == "user"
    assert entry.ip_address == "127.0.0.1"
