"""The inline commands for when the queue is down: sync_accounts and refresh_tokens."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.audit.models import AuditLog
from apps.tiktok_accounts.models import TikTokAccount

pytestmark = pytest.mark.django_db(transaction=True)


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_sync_accounts_of_one_user_syncs_exactly_that_users_live_accounts(
    user, other_user, link_account, fake_tiktok
) -> None:
    mine = [link_account(user)[0] for _ in range(3)]
    theirs, _ = link_account(other_user)

    assert _run("sync_accounts", "--user", user.username) == "3 synced, 0 failed.\n"

    for account in mine:
        assert (
            TikTokAccount.objects.get(pk=account.pk).follower_count == account.follower_count + 100
        )
        [entry] = AuditLog.objects.filter(resource_id=account.id, action="sync")
        assert entry.metadata["actor"] == "system"
    assert not AuditLog.objects.filter(resource_id=theirs.id).exists()


def test_sync_accounts_stale_and_all(user, link_account, fake_tiktok) -> None:
    link_account(user, last_synced_at=timezone.now())
    link_account(user, last_synced_at=timezone.now() - timedelta(days=2))

    assert _run("sync_accounts", "--stale") == "1 synced, 0 failed.\n"
    assert _run("sync_accounts", "--all") == "2 synced, 0 failed.\n"


def test_sync_accounts_refuses_an_unknown_user(db) -> None:
    with pytest.raises(CommandError, match="No user named"):
        _run("sync_accounts", "--user", "nobody")


def test_refresh_tokens_refreshes_those_expiring_within_ahead(
    user, link_account, fake_tiktok
) -> None:
    soon, _ = link_account(user, access_token_expires_at=timezone.now() + timedelta(hours=2))
    later, _ = link_account(user, access_token_expires_at=timezone.now() + timedelta(hours=5))

    assert _run("refresh_tokens", "--ahead", "10800") == "1 due: 1 succeeded.\n"

    assert fake_tiktok.count("refresh") == 1
    [entry] = AuditLog.objects.filter(resource_id=soon.id, action="token_refresh")
    assert entry.metadata == {"outcome": "succeeded", "actor": "system", "user_id": None}
    assert TikTokAccount.objects.get(pk=later.pk).token_version == later.token_version
