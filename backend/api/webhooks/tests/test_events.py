"""What a verified TikTok event does: authorization.removed revokes, once, for every user."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.webhooks.tests.conftest import event_body
from apps.audit.models import AuditLog
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.webhooks.models import WebhookEvent
from testing.factories import TikTokAccountFactory, UserFactory
from testing.http import assert_error, bearer_header, post_json

pytestmark = pytest.mark.django_db

OPEN_ID = "open-id-shared"


def _fresh(account) -> TikTokAccount:
    return TikTokAccount.all_objects.get(pk=account.pk)


def test_authorization_removed_revokes_and_audits_as_the_system(deliver, user) -> None:
    account = TikTokAccountFactory(user=user, open_id=OPEN_ID)

    response = deliver(event_body(OPEN_ID, reason=2))

    assert response.json() == {"status": "processed"}
    stored = _fresh(account)
    assert stored.status == AccountStatus.REVOKED
    assert "account was deleted" in stored.last_sync_error
    assert "reason 2" in stored.last_sync_error
    entry = AuditLog.objects.get()
    assert entry.action == "authorization_removed"
    assert entry.workspace_id == account.workspace_id
    assert entry.user_id is None  # the service acted
    assert entry.resource_id == account.pk
    assert entry.ip_address is None
    assert entry.metadata["actor"] == "system"
    assert entry.metadata["reason"] == 2
    assert entry.changes == {"before": {"status": "active"}, "after": {"status": "revoked"}}
    assert WebhookEvent.objects.get().status == "processed"


@pytest.mark.parametrize("reason", [0, 1, 2, 3, 4, 5])
def test_every_documented_reason_is_named(deliver, user, reason) -> None:
    account = TikTokAccountFactory(user=user, open_id=OPEN_ID)

    deliver(event_body(OPEN_ID, reason=reason))

    error = _fresh(account).last_sync_error
    assert error.startswith("AUTHORIZATION_REMOVED: ")
    assert f"(reason {reason})" in error


def test_every_user_who_connected_the_open_id_loses_it_with_one_entry_each(deliver) -> None:
    first, second = UserFactory(), UserFactory()
    accounts = [
        TikTokAccountFactory(user=first, open_id=OPEN_ID),
        TikTokAccountFactory(user=second, open_id=OPEN_ID),
    ]
    bystander = TikTokAccountFactory(user=first, open_id="someone-else")
    deleted = TikTokAccountFactory(
        user=second, open_id=OPEN_ID, is_deleted=True, deleted_at=timezone.now()
    )

    assert deliver(event_body(OPEN_ID)).json() == {"status": "processed"}

    assert {_fresh(a).status for a in accounts} == {AccountStatus.REVOKED}
    assert _fresh(bystander).status == AccountStatus.ACTIVE
    assert _fresh(deleted).status == AccountStatus.ACTIVE
    entries = AuditLog.objects.all()
    assert sorted((e.workspace_id, e.resource_id) for e in entries) == sorted(
        [(a.workspace_id, a.pk) for a in accounts]
    )


def test_the_summary_of_each_affected_user_goes_stale_at_once(
    deliver, django_capture_on_commit_callbacks
) -> None:
    owners = [UserFactory(), UserFactory()]
    for owner in owners:
        TikTokAccountFactory(user=owner, open_id=OPEN_ID)
    clients = [Client(headers=bearer_header(owner)) for owner in owners]
    for api in clients:  # computed and cached
        assert api.get("/api/accounts/stats/summary").json()["active_accounts"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        deliver(event_body(OPEN_ID))

    for api in clients:
        assert api.get("/api/accounts/stats/summary").json()["active_accounts"] == 0


def test_a_redelivery_is_duplicate_and_changes_nothing(deliver, user) -> None:
    account = TikTokAccountFactory(user=user, open_id=OPEN_ID)
    body = event_body(OPEN_ID, create_time=int(time.time()))
    assert deliver(body).json() == {"status": "processed"}
    before = _fresh(account)

    again = deliver(body)
    # The same event, re-serialized with other spacing and signed anew, is the same event.
    respaced = deliver(json.dumps(json.loads(body), indent=2).encode())

    assert again.json() == respaced.json() == {"status": "duplicate"}
    after = _fresh(account)
    assert (after.status, after.last_sync_error, after.updated_at) == (
        before.status,
        before.last_sync_error,
        before.updated_at,
    )
    assert AuditLog.objects.count() == 1
    assert WebhookEvent.objects.count() == 1


def test_a_redelivery_after_a_reconnect_leaves_the_new_grant_alone(deliver, user) -> None:
    account = TikTokAccountFactory(user=user, open_id=OPEN_ID)
    body = event_body(OPEN_ID)
    deliver(body)
    TikTokAccount.all_objects.filter(pk=account.pk).update(status=AccountStatus.ACTIVE)

    assert deliver(body).json() == {"status": "duplicate"}
    assert _fresh(account).status == AccountStatus.ACTIVE


def test_an_event_older_than_the_latest_connect_does_not_touch_the_account(deliver) -> None:
    now = int(time.time())
    reconnected = TikTokAccountFactory(
        open_id=OPEN_ID, connected_at=timezone.now() - timedelta(seconds=30)
    )
    stale_grant = TikTokAccountFactory(
        open_id=OPEN_ID, connected_at=timezone.now() - timedelta(hours=5)
    )

    # Removed an hour ago, delivered late (TikTok retries for 72 hours).
    response = deliver(event_body(OPEN_ID, create_time=now - 3600))

    assert response.json() == {"status": "processed"}
    assert _fresh(reconnected).status == AccountStatus.ACTIVE
    assert _fresh(reconnected).last_sync_error is None
    assert _fresh(stale_grant).status == AccountStatus.REVOKED
    assert list(AuditLog.objects.values_list("resource_id", flat=True)) == [stale_grant.pk]


def test_events_out_of_order_apply_by_their_own_time(deliver, user) -> None:
    account = TikTokAccountFactory(
        user=user, open_id=OPEN_ID, connected_at=timezone.now() - timedelta(minutes=10)
    )
    now = int(time.time())
    # The newer removal arrives first; an older one (before the connect) arrives after it.
    assert deliver(event_body(OPEN_ID, reason=4, create_time=now)).json()["status"] == "processed"
    late = deliver(event_body(OPEN_ID, reason=1, create_time=now - 3600))

    assert late.json() == {"status": "ignored"}
    assert "(reason 4)" in _fresh(account).last_sync_error
    assert AuditLog.objects.count() == 1


@pytest.mark.parametrize(
    ("body_open_id", "event"),
    [("nobody-has-this", "authorization.removed"), (OPEN_ID, "portability.download.ready")],
    ids=["unknown open id", "unknown event"],
)
def test_unknown_events_and_open_ids_are_ignored_and_remembered(
    deliver, user, body_open_id, event
) -> None:
    account = TikTokAccountFactory(user=user, open_id=OPEN_ID)
    body = event_body(body_open_id, event=event)

    first, again = deliver(body), deliver(body)

    assert (first.json(), again.json()) == ({"status": "ignored"}, {"status": "duplicate"})
    assert _fresh(account).status == AccountStatus.ACTIVE
    assert WebhookEvent.objects.get().status == "ignored"
    assert AuditLog.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"event": "authorization.removed"}',
        event_body(OPEN_ID, create_time="1700000000"),  # type: ignore[arg-type]
        event_body(OPEN_ID, content={"reason": 1}),
        event_body(OPEN_ID, user_openid=""),
        event_body(OPEN_ID, create_time=-1),
        event_body(OPEN_ID, content='{"reason": "1"}'),
        event_body(OPEN_ID, content="not json"),
        event_body(OPEN_ID, content="[1]"),
    ],
    ids=[
        "not json",
        "array",
        "fields missing",
        "create_time string",
        "content not a string",
        "empty open id",
        "negative create_time",
        "reason not an int",
        "content not json",
        "content not an object",
    ],
)
def test_a_signed_body_that_is_not_a_tiktok_event_is_400(deliver, user, body) -> None:
    account = TikTokAccountFactory(user=user, open_id=OPEN_ID)

    response = deliver(body)

    payload = response.json()
    assert response.status_code == 400, payload
    assert payload["code"] == "VALIDATION_ERROR"
    assert payload["errors"]
    assert all(set(e) == {"loc", "msg", "type"} for e in payload["errors"])
    assert _fresh(account).status == AccountStatus.ACTIVE
    assert WebhookEvent.objects.count() == 0
    assert AuditLog.objects.count() == 0


def test_another_apps_client_key_is_400(deliver, user) -> None:
    account = TikTokAccountFactory(user=user, open_id=OPEN_ID)

    response = deliver(event_body(OPEN_ID, client_key="someone-elses-app"))

    assert response.status_code == 400
    assert response.json()["errors"][0]["loc"] == ["body", "client_key"]
    assert _fresh(account).status == AccountStatus.ACTIVE
    assert WebhookEvent.objects.count() == 0


def test_an_oversized_body_is_413(deliver, settings) -> None:
    body = b" " * (settings.MAX_REQUEST_BODY_BYTES + 1)

    assert_error(deliver(body), 413, "PAYLOAD_TOO_LARGE")


def test_a_removal_is_a_fixed_number_of_statements_whatever_the_accounts(deliver) -> None:
    def statements(count: int, open_id: str) -> int:
        for _ in range(count):
            TikTokAccountFactory(open_id=open_id)
        with CaptureQueriesContext(connection) as queries:
            assert deliver(event_body(open_id)).json() == {"status": "processed"}
        return len(queries)

    assert statements(1, "one-account") == statements(6, "six-accounts")


def test_a_revoked_account_is_never_called_at_tiktok_until_reconnected(
    deliver, user, auth_client, fake_tiktok, link_account
) -> None:
    account, person = link_account(user)
    deliver(event_body(person.open_id))
    calls = fake_tiktok.stats()["counts"]

    sync = auth_client.post(f"/api/accounts/{account.pk}/sync")
    batch = post_json(auth_client, "/api/accounts/batch/sync", {"account_ids": [str(account.pk)]})

    assert_error(sync, 409, "TIKTOK_REAUTH_REQUIRED")
    assert batch.json()["failed"][0]["code"] == "TIKTOK_REAUTH_REQUIRED"
    assert fake_tiktok.stats()["counts"] == calls
    # Reconnecting (the OAuth flow) makes it active again, and syncs reach TikTok again.
    state = auth_client.post("/api/accounts/connect/start").json()["state"]
    code = fake_tiktok.issue_code(person.open_id)
    reconnect = post_json(
        auth_client, "/api/accounts/connect/complete", {"code": code, "state": state}
    )
    assert reconnect.status_code == 200, reconnect.content
    assert reconnect.json()["status"] == "active"
    assert auth_client.post(f"/api/accounts/{account.pk}/sync").status_code == 200


def test_ops_see_the_events_in_the_admin(deliver, admin_client) -> None:
    deliver(event_body("admin-visible-open-id"))
    event = WebhookEvent.objects.get()

    listing = admin_client.get("/admin/webhooks/webhookevent/").content.decode()
    page = admin_client.get(f"/admin/webhooks/webhookevent/{event.pk}/change/")

    assert "admin-visible-open-id" in listing
    assert page.status_code == 200
    assert admin_client.get("/admin/webhooks/webhookevent/add/").status_code == 403
