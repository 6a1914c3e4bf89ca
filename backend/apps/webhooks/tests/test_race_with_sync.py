"""A revocation that lands while a sync waits for TikTok is not undone by the sync."""

from __future__ import annotations

import pytest

from apps.audit.services import RequestMeta
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.tiktok_accounts.services import sync as sync_service
from testing.factories import TikTokAccountFactory

pytestmark = pytest.mark.django_db


def test_a_sync_answered_before_a_revocation_does_not_reactivate_the_account(monkeypatch) -> None:
    account = TikTokAccountFactory(status=AccountStatus.ACTIVE)

    def fetch_then_revoke(loaded: TikTokAccount) -> sync_service.SyncOutcome:
        outcome = sync_service.SyncOutcome(
            account=loaded, profile=sync_service.client.UserInfo(open_id=loaded.open_id)
        )
        # The authorization.removed webhook commits while TikTok's answer is on its way.
        TikTokAccount.all_objects.filter(pk=loaded.pk).update(
            status=AccountStatus.REVOKED, last_sync_error="AUTHORIZATION_REMOVED: reason 1"
        )
        return outcome

    monkeypatch.setattr(sync_service, "profile_fetch", fetch_then_revoke)

    sync_service.account_sync(account=account, meta=RequestMeta())

    stored = TikTokAccount.all_objects.get(pk=account.pk)
    assert stored.status == AccountStatus.REVOKED
    assert stored.last_sync_error == "AUTHORIZATION_REMOVED: reason 1"


def test_a_sync_of_a_live_account_still_makes_it_active(monkeypatch) -> None:
    account = TikTokAccountFactory(status=AccountStatus.ERROR, last_sync_error="old")
    monkeypatch.setattr(
        sync_service,
        "profile_fetch",
        lambda loaded: sync_service.SyncOutcome(
            account=loaded, profile=sync_service.client.UserInfo(open_id=loaded.open_id)
        ),
    )

    synced = sync_service.account_sync(account=account, meta=RequestMeta())

    stored = TikTokAccount.all_objects.get(pk=account.pk)
    assert (stored.status, stored.last_sync_error) == (AccountStatus.ACTIVE, None)
    assert (synced.status, synced.last_sync_error) == (AccountStatus.ACTIVE, None)
