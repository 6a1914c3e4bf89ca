"""Delivering events to real receivers on loopback: signing, retries, disabling, rotation,
redelivery, the scan. Fixed instants (time-machine), never the wall clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from cryptography.fernet import Fernet
from django.db import transaction
from django.db.models import TextField, Value
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from apps.audit.models import AuditLog
from apps.audit.services import RequestMeta
from apps.core import metrics
from apps.events.models import Event, EventType
from apps.events.services import event_emit
from apps.outbound_webhooks import delivery as sender
from apps.outbound_webhooks.models import Delivery, DeliveryStatus, WebhookEndpoint
from apps.outbound_webhooks.services import (
    delivery_redeliver,
    endpoint_delete,
    endpoint_secret_rotate,
)
from testing.factories import personal_workspace
from testing.processes import free_port
from testing.receiver import receiving

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _event(user, type_: EventType = EventType.JOB_FINISHED) -> Event:
    with transaction.atomic():
        event = event_emit(workspace_id=personal_workspace(user).id, type=type_, data={"n": 1})
    sender.events_fan_out(event_ids=[str(event.id)])
    return event


def _only_delivery(event: Event) -> Delivery:
    return Delivery.objects.get(event=event)


def test_a_delivery_verifies_with_the_receivers_standardwebhooks_and_succeeds_once(
    user, make_endpoint
) -> None:
    with receiving() as receiver, time_machine.travel(T0, tick=False):
        _endpoint, secret = make_endpoint(receiver.url)
        event = _event(user)
        delivery = _only_delivery(event)
        assert sender.delivery_attempt(delivery_id=delivery.id).ok
        assert sender.delivery_attempt(delivery_id=delivery.id) is None  # never twice

        [request] = receiver.requests
        body = Webhook(secret).verify(request.body, request.headers)
    assert body == {
        "id": str(event.id),
        "type": "job.finished",
        "created_at": "2026-03-02T09:00:00.000000Z",
        "workspace_id": str(personal_workspace(user).id),
        "data": {"n": 1},
    }
    assert request.headers["webhook-id"] == str(event.id)
    assert request.headers["webhook-timestamp"] == str(int(T0.timestamp()))
    assert request.headers["content-type"] == "application/json"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 204)
    assert delivery.delivered_at == T0
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 44).verify(request.body, request.headers)


def _delivered(outcome: str) -> float:
    name = "tta_outbound_webhook_deliveries_total"
    return metrics.REGISTRY.get_sample_value(name, {"outcome": outcome}) or 0.0


def test_failed_attempts_retry_on_the_schedule_then_fail(user, make_endpoint, settings) -> None:
    settings.OUTBOUND_WEBHOOK_RETRY_SCHEDULE = [5, 300]
    counted = {outcome: _delivered(outcome) for outcome in ("failed_attempt", "failed")}
    with receiving(default_status=500) as receiver, time_machine.travel(T0, tick=False) as clock:
        make_endpoint(receiver.url)
        delivery = _only_delivery(_event(user))
        assert sender.delivery_attempt(delivery_id=delivery.id).error == "HTTP 500"
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        assert delivery.next_attempt_at == T0 + timedelta(seconds=5)

        clock.shift(4)
        assert sender.delivery_attempt(delivery_id=delivery.id) is None  # not due yet
        clock.shift(1)
        assert sender.delivery_attempt(delivery_id=delivery.id) is not None
        delivery.refresh_from_db()
        assert delivery.next_attempt_at == T0 + timedelta(seconds=5 + 300)

        clock.shift(300)
        receiver.answers.append(503)
        sender.delivery_attempt(delivery_id=delivery.id)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 3, 503)
        assert delivery.next_attempt_at is None
        clock.shift(36000)
        assert sender.delivery_attempt(delivery_id=delivery.id) is None
    assert len(receiver.requests) == 3
    # tta_outbound_webhook_deliveries_total: two attempts that will be retried, one final.
    assert _delivered("failed_attempt") == counted["failed_attempt"] + 2
    assert _delivered("failed") == counted["failed"] + 1
    # One event, one webhook-id on every attempt; the timestamp is each attempt's.
    assert {r.headers["webhook-id"] for r in receiver.requests} == {str(delivery.event_id)}
    assert len({r.headers["webhook-timestamp"] for r in receiver.requests}) == 3


def test_an_endpoint_whose_last_deliveries_all_failed_is_disabled_and_gets_no_more(
    user, make_endpoint, settings
) -> None:
    settings.OUTBOUND_WEBHOOK_RETRY_SCHEDULE = []
    settings.OUTBOUND_WEBHOOK_DISABLE_AFTER_FAILURES = 2
    with receiving(answers=[500, 200, 500, 500]) as receiver:
        endpoint, _ = make_endpoint(receiver.url)
        for _ in range(3):
            sender.delivery_attempt(delivery_id=_only_delivery(_event(user)).id)
        endpoint.refresh_from_db()
        assert endpoint.is_active  # failed, succeeded, failed: not two in a row
        sender.delivery_attempt(delivery_id=_only_delivery(_event(user)).id)
        endpoint.refresh_from_db()
        assert (endpoint.is_active, endpoint.disabled_reason) == (False, "failing")
        assert not Delivery.objects.filter(event=_event(user)).exists()
    assert len(receiver.requests) == 4
    [entry] = AuditLog.objects.filter(action="webhook_endpoint_update")
    assert (entry.resource_type, entry.resource_id) == ("webhook_endpoint", endpoint.id)
    assert (entry.metadata["actor"], entry.ip_address) == ("system", None)
    assert entry.changes["after"] == {"is_active": False, "disabled_reason": "failing"}


def test_during_the_rotation_overlap_both_secrets_sign_then_only_the_new_one(
    user, make_endpoint, settings
) -> None:
    settings.OUTBOUND_WEBHOOK_SECRET_OVERLAP_SECONDS = 3600
    with receiving() as receiver, time_machine.travel(T0, tick=False) as clock:
        endpoint, old = make_endpoint(receiver.url)
        new = endpoint_secret_rotate(endpoint=endpoint, meta=RequestMeta())
        sender.delivery_attempt(delivery_id=_only_delivery(_event(user)).id)
        [during] = receiver.requests
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        Webhook(old).verify(during.body, during.headers)
        Webhook(new).verify(during.body, during.headers)
        clock.shift(3600)
        sender.delivery_attempt(delivery_id=_only_delivery(_event(user)).id)
        after = receiver.requests[1]
        assert len(after.headers["webhook-signature"].split(" ")) == 1
        Webhook(new).verify(after.body, after.headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(old).verify(after.body, after.headers)


def test_a_redelivery_sends_the_same_event_again_and_the_original_stays_done(
    user, make_endpoint
) -> None:
    with receiving() as receiver:
        make_endpoint(receiver.url)
        original = _only_delivery(_event(user))
        sender.delivery_attempt(delivery_id=original.id)
        again = delivery_redeliver(delivery=original)
        assert (again.event_id, again.manual, again.status) == (original.event_id, True, "pending")
        sender.delivery_attempt(delivery_id=again.id)
        sender.delivery_attempt(delivery_id=original.id)
        first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == str(original.event_id)
    assert first.body == second.body
    assert Delivery.objects.get(pk=again.pk).status == DeliveryStatus.SUCCEEDED


def test_a_redirect_timeout_or_refused_connection_is_a_failed_attempt(
    user, make_endpoint, settings
) -> None:
    settings.OUTBOUND_WEBHOOK_TIMEOUT_SECONDS = 0.5
    with receiving(answers=[302]) as redirecting, receiving(delay=2) as slow:
        make_endpoint(redirecting.url)
        make_endpoint(slow.url)
        nobody = f"http://127.0.0.1:{free_port()}/nobody-listens"
        make_endpoint(nobody)
        event = _event(user)
        outcomes = {
            d.endpoint.url: sender.delivery_attempt(delivery_id=d.id)
            for d in Delivery.objects.filter(event=event).select_related("endpoint")
        }
        assert len(redirecting.requests) == 1  # the Location was not followed
    assert outcomes[redirecting.url].error == "HTTP 302"
    assert outcomes[slow.url].error == "timeout"
    assert outcomes[nobody].error == "connection failed"


def test_only_active_subscribed_endpoints_older_than_the_event_get_it(user, make_endpoint) -> None:
    with receiving() as receiver:
        everything, _ = make_endpoint(receiver.url)
        _posts, _ = make_endpoint(receiver.url, ["post.published", "post.failed"])
        inactive, _ = make_endpoint(receiver.url)
        WebhookEndpoint.objects.filter(pk=inactive.pk).update(is_active=False)
        event = _event(user, EventType.ACCOUNT_DELETED)
    assert {d.endpoint_id for d in Delivery.objects.filter(event=event)} == {everything.id}
    # A second fan-out of the same event (a duplicate message, the scan) adds nothing.
    assert sender.events_fan_out(event_ids=[str(event.id)]) == 0
    assert Delivery.objects.filter(event=event).count() == 1


def test_the_scan_fans_out_lost_events_and_resends_deliveries_a_dead_worker_held(
    user, make_endpoint, django_capture_on_commit_callbacks
) -> None:
    with receiving() as receiver, time_machine.travel(T0, tick=False) as clock:
        make_endpoint(receiver.url)
        event = event_emit(workspace_id=personal_workspace(user).id, type="ping", data={})
        # Its fan-out message was lost: nothing on commit ran.
        clock.shift(sender.SCAN_GRACE.total_seconds() + 1)
        with django_capture_on_commit_callbacks(execute=True):
            assert sender.deliveries_scan() == (1, 0)
        delivery = _only_delivery(event)
        assert len(receiver.requests) == 1  # eager: enqueued after the fan-out committed

        # A worker claimed a retry and died: its lease lapses, the scan hands it out again.
        Delivery.objects.filter(pk=delivery.pk).update(
            status="pending", next_attempt_at=timezone.now(), lease_until=timezone.now()
        )
        assert sender.deliveries_scan() == (0, 0)  # still within the grace
        clock.shift(sender.SCAN_GRACE.total_seconds() + 1)
        assert sender.deliveries_scan() == (0, 1)
    assert len(receiver.requests) == 2
    assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.SUCCEEDED


def test_old_deliveries_and_events_are_deleted_by_retention(user, make_endpoint, settings) -> None:
    settings.OUTBOUND_WEBHOOK_RETENTION_DAYS = 30
    with receiving() as receiver, time_machine.travel(T0, tick=False) as clock:
        make_endpoint(receiver.url)
        old = _event(user)
        clock.shift(timedelta(days=2))
        recent = _event(user)
        clock.shift(timedelta(days=29))
        assert sender.deliveries_prune() == 1
    assert list(Event.objects.values_list("id", flat=True)) == [recent.id]
    assert not Delivery.objects.filter(event_id=old.id).exists()
    assert json.loads(json.dumps(recent.data)) == {"n": 1}


def test_a_secret_no_configured_key_opens_is_never_used_and_the_delivery_waits_for_the_key(
    user, make_endpoint, settings
) -> None:
    settings.OUTBOUND_WEBHOOK_RETRY_SCHEDULE = [5]
    with receiving() as receiver, time_machine.travel(T0, tick=False):
        endpoint, _secret = make_endpoint(receiver.url)
        delivery = _only_delivery(_event(user))
        # Stored under a key since dropped from FIELD_ENCRYPTION_KEY.
        foreign = Fernet(Fernet.generate_key()).encrypt(b"whsec_elsewhere").decode()
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret=Value(foreign, TextField()))

        outcome = sender.delivery_attempt(delivery_id=delivery.id)

    assert outcome.error == "not sent: the endpoint's secret opens with no configured key"
    assert receiver.requests == []  # nothing signed with ciphertext went out
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 1)  # retried: the key may return
    assert delivery.next_attempt_at == T0 + timedelta(seconds=5)


def test_every_endpoint_gets_the_same_event_with_the_same_id_and_body(user, make_endpoint) -> None:
    with receiving() as first, receiving() as second:
        _, first_secret = make_endpoint(first.url)
        _, second_secret = make_endpoint(second.url)
        event = _event(user)
        for delivery in Delivery.objects.filter(event=event):
            assert sender.delivery_attempt(delivery_id=delivery.id).ok
        [one], [other] = first.requests, second.requests
    assert one.headers["webhook-id"] == other.headers["webhook-id"] == str(event.id)
    assert Webhook(first_secret).verify(one.body, one.headers) == Webhook(second_secret).verify(
        other.body, other.headers
    )


def test_deleting_an_endpoint_cancels_its_pending_deliveries(user, make_endpoint) -> None:
    with receiving(default_status=500) as receiver:
        endpoint, _ = make_endpoint(receiver.url)
        retrying = _only_delivery(_event(user))
        sender.delivery_attempt(delivery_id=retrying.id)
        waiting = _only_delivery(_event(user))
        assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}

        endpoint_delete(endpoint=endpoint, meta=RequestMeta())

        with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
            assert sender.deliveries_scan() == (0, 0)
            for delivery in (retrying, waiting):
                assert sender.delivery_attempt(delivery_id=delivery.id) is None
    assert len(receiver.requests) == 1  # the first attempt, before the delete
