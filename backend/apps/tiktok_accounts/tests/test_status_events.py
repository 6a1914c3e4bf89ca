"""`account.status_changed` from every path that writes an account's status, and never from a
write that leaves it as it was (models/status_events.py)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from apps.audit.services import SYSTEM
from apps.events.models import Event, EventType
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.tiktok_accounts.models.status_events import account_event_data
from apps.tiktok_accounts.services.delete import account_delete
from testing.factories import TikTokAccountFactory
from testing.fake_tiktok.webhooks import WebhookSender, sign
from testing.http import post_json

pytestmark = pytest.mark.django_db


def changes() -> list[tuple[str, str, str]]:
    """(account id, previous status, new status) of every status event, oldest first."""
    events = Event.objects.filter(type=EventType.ACCOUNT_STATUS_CHANGED).order_by("created_at")
    return [
        (e.data["account"]["id"], e.data["previous_status"], e.data["account"]["status"])
        for e in events
    ]


def test_a_queryset_update_emits_one_event_per_changed_row(user) -> None:
    active, revoked = TikTokAccountFactory(user=user), TikTokAccountFactory(user=user)
    TikTokAccount.objects.filter(pk=revoked.pk).update(status=AccountStatus.REVOKED)
    Event.objects.all().delete()

    TikTokAccount.objects.filter(pk__in=[active.pk, revoked.pk]).update(status="revoked")

    assert changes() == [(str(active.pk), "active", "revoked")]
    event = Event.objects.get()
    assert event.workspace_id == active.workspace_id
    active.refresh_from_db()
    assert event.data["account"] == account_event_data(active)


def test_a_save_emits_and_a_save_of_the_same_status_does_not(user) -> None:
    account = TikTokAccountFactory(user=user)
    account.display_name = "Renamed"
    account.save()
    assert changes() == []
    account.status = AccountStatus.ERROR
    account.save(update_fields=["status", "updated_at"])
    assert changes() == [(str(account.pk), "active", "error")]


def test_a_stale_instance_saved_over_a_newer_status_reports_the_stored_one(user) -> None:
    account = TikTokAccountFactory(user=user)
    TikTokAccount.objects.filter(pk=account.pk).update(status=AccountStatus.REVOKED)
    account.save()  # still says active: that is a change from what was stored
    assert changes()[-1] == (str(account.pk), "revoked", "active")


def test_a_delete_that_revoked_the_grant_emits_the_change_and_the_deletion(
    user, link_account
) -> None:
    account, _ = link_account(user)
    account_delete(account=account, meta=SYSTEM)
    assert changes() == [(str(account.pk), "active", "revoked")]
    deleted = Event.objects.get(type=EventType.ACCOUNT_DELETED)
    assert deleted.data["id"] == str(account.pk)


def test_a_sync_that_recovers_an_account_in_error_emits_it(user, link_account, auth_client) -> None:
    account, _ = link_account(user, status=AccountStatus.ERROR)
    assert auth_client.post(f"/api/accounts/{account.pk}/sync").status_code == 200
    assert changes() == [(str(account.pk), "error", "active")]


def test_a_sync_of_an_active_account_emits_nothing(user, link_account, auth_client) -> None:
    account, _ = link_account(user)
    assert auth_client.post(f"/api/accounts/{account.pk}/sync").status_code == 200
    assert changes() == []


def test_a_refresh_that_tiktok_refuses_emits_token_expired(
    user, link_account, auth_client, fake_tiktok
) -> None:
    account, _ = link_account(user, access_token_expires_at=timezone.now() + timedelta(minutes=1))
    fake_tiktok.add_fault("refresh", "invalid_grant")
    assert auth_client.post(f"/api/accounts/{account.pk}/sync").status_code == 409
    assert changes() == [(str(account.pk), "active", "token_expired")]


def test_tiktoks_authorization_removed_webhook_emits_revoked(
    user, link_account, client, fake_tiktok
) -> None:
    account, _ = link_account(user)
    body = WebhookSender(fake_tiktok).body(
        "authorization.removed", account.open_id, {"reason": 1}, create_time=int(time.time()) + 2
    )
    answer = client.post(
        "/api/webhooks/tiktok",
        body,
        content_type="application/json",
        headers={"TikTok-Signature": sign(fake_tiktok.client_secret, int(time.time()), body)},
    )
    assert answer.json() == {"status": "processed"}
    assert changes() == [(str(account.pk), "active", "revoked")]


def test_a_change_that_rolls_back_leaves_no_event(user) -> None:
    account = TikTokAccountFactory(user=user)
    with transaction.atomic():
        TikTokAccount.objects.filter(pk=account.pk).update(status=AccountStatus.REVOKED)
        transaction.set_rollback(True)
    assert changes() == []


def test_a_reconnect_of_a_revoked_account_emits_the_change_and_connected(
    user, link_account, auth_client, fake_tiktok
) -> None:
    account, person = link_account(user, status=AccountStatus.REVOKED)
    state = auth_client.post("/api/accounts/connect/start").json()["state"]
    code = fake_tiktok.issue_code(person.open_id)
    answer = post_json(
        auth_client, "/api/accounts/connect/complete", {"code": code, "state": state}
    )
    assert answer.status_code == 200, answer.content

    assert changes() == [(str(account.pk), "revoked", "active")]
    connected = Event.objects.get(type=EventType.ACCOUNT_CONNECTED)
    assert (connected.data["id"], connected.data["status"]) == (str(account.pk), "active")
