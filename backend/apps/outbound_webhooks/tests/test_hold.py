"""An endpoint that does not answer is held: its deliveries wait (unattempted, uncounted) until
the hold lapses, then one probes it; any HTTP answer releases it. Real receivers on loopback,
fixed instants (time-machine)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from apps.events.models import Event, EventType
from apps.outbound_webhooks import delivery as sender
from apps.outbound_webhooks.models import Delivery, DeliveryStatus, WebhookEndpoint
from apps.outbound_webhooks.services import delivery_redeliver
from testing.locks import second_waits_for_first
from testing.receiver import receiving

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOLD = timedelta(seconds=5)  # the first delay of the schedule below
SCHEDULE = [5, 300]


@pytest.fixture(autouse=True)
def _schedule(settings) -> None:
    settings.OUTBOUND_WEBHOOK_RETRY_SCHEDULE = SCHEDULE


def _deliveries(endpoint: WebhookEndpoint, count: int) -> list[Delivery]:
    """Due deliveries of new events, no message enqueued (as the fan-out leaves them)."""
    return [
        Delivery.objects.create(
            endpoint=endpoint,
            event=Event.objects.create(
                workspace_id=endpoint.workspace_id, type=EventType.PING, fanned_out_at=T0
            ),
            next_attempt_at=timezone.now(),
        )
        for _ in range(count)
    ]


def _held_until(endpoint: WebhookEndpoint) -> datetime | None:
    return WebhookEndpoint.objects.get(pk=endpoint.pk).held_until


def _hold(endpoint: WebhookEndpoint, until: datetime) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(held_until=until)


def test_a_timeout_holds_the_endpoint_and_its_due_deliveries_wait_unattempted(
    make_endpoint, settings, caplog
) -> None:
    settings.OUTBOUND_WEBHOOK_TIMEOUT_SECONDS = 0.5
    caplog.set_level(logging.WARNING, logger="apps.outbound_webhooks.hold")
    with receiving(delay=2) as hanging, time_machine.travel(T0, tick=False):
        endpoint, _ = make_endpoint(hanging.url + "?token=in-the-query")
        first, waiting = _deliveries(endpoint, 2)

        assert sender.delivery_attempt(delivery_id=first.id).error == "timeout"
        assert _held_until(endpoint) == T0 + HOLD
        assert sender.delivery_attempt(delivery_id=waiting.id) is None  # deferred, not sent
        assert len(hanging.requests) == 1

    first.refresh_from_db()
    assert (first.status, first.attempts, first.next_attempt_at) == ("pending", 1, T0 + HOLD)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.attempts, waiting.lease_until) == ("pending", 0, None)
    assert waiting.next_attempt_at == T0 + HOLD
    [warning] = caplog.records
    assert "held" in warning.getMessage()
    assert "127.0.0.1" in warning.getMessage()  # the host, and no more of the URL
    assert "in-the-query" not in caplog.text


def test_an_http_error_never_holds_and_any_answer_releases_the_hold(
    make_endpoint, settings
) -> None:
    with receiving(default_status=500) as receiver, time_machine.travel(T0, tick=False):
        endpoint, _ = make_endpoint(receiver.url)
        failing, *probes = _deliveries(endpoint, 4)
        assert sender.delivery_attempt(delivery_id=failing.id).error == "HTTP 500"
        assert _held_until(endpoint) is None
        failing.refresh_from_db()  # its own schedule, as ever
        assert (failing.attempts, failing.next_attempt_at) == (1, T0 + timedelta(seconds=5))

        for status, probe in zip([204, 404, 500], probes, strict=True):
            _hold(endpoint, T0 - timedelta(seconds=1))  # lapsed: this delivery probes
            receiver.answers.append(status)
            assert sender.delivery_attempt(delivery_id=probe.id).status_code == status
            assert _held_until(endpoint) is None
    assert len(receiver.requests) == 4


def test_a_refused_address_never_holds_nor_keeps_a_probe_holding(make_endpoint, settings) -> None:
    with receiving() as receiver, time_machine.travel(T0, tick=False):
        endpoint, _ = make_endpoint(receiver.url)
        refused, probe = _deliveries(endpoint, 2)
        settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = False  # the loopback address is refused now
        assert sender.delivery_attempt(delivery_id=refused.id).error.startswith("address refused")
        assert _held_until(endpoint) is None
        _hold(endpoint, T0 - timedelta(seconds=1))
        assert sender.delivery_attempt(delivery_id=probe.id).error.startswith("address refused")
        assert _held_until(endpoint) is None  # a poison delivery never holds the others
    assert receiver.requests == []


def test_the_scan_sends_a_deferred_delivery_after_the_hold_once_its_grace_passed(
    make_endpoint,
) -> None:
    with receiving() as receiver, time_machine.travel(T0, tick=False) as clock:
        endpoint, _ = make_endpoint(receiver.url)
        [delivery] = _deliveries(endpoint, 1)
        _hold(endpoint, T0 + HOLD)
        assert sender.delivery_attempt(delivery_id=delivery.id) is None
        clock.shift(HOLD + sender.SCAN_GRACE - timedelta(seconds=1))
        assert sender.deliveries_scan() == (0, 0)  # not yet overdue
        clock.shift(1)
        assert sender.deliveries_scan() == (0, 1)  # eager: attempted, the probe of the hold
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 1)
    assert _held_until(endpoint) is None
    assert len(receiver.requests) == 1


def test_a_redelivery_to_a_held_endpoint_waits_for_the_hold_and_is_enqueued_for_then(
    make_endpoint, monkeypatch
) -> None:
    enqueued: list[tuple[list[str], float | None]] = []
    monkeypatch.setattr(
        sender, "deliveries_enqueue", lambda ids, countdown=None: enqueued.append((ids, countdown))
    )
    with receiving() as receiver, time_machine.travel(T0, tick=False):
        endpoint, _ = make_endpoint(receiver.url)
        [delivery] = _deliveries(endpoint, 1)
        again = delivery_redeliver(delivery=delivery)
        _hold(endpoint, T0 + HOLD)
        assert sender.delivery_attempt(delivery_id=delivery.id) is None
        assert sender.delivery_attempt(delivery_id=again.id) is None
    assert enqueued == [
        ([str(again.id)], HOLD.total_seconds())
    ]  # the fan-out's is left to the scan
    assert receiver.requests == []
    assert set(Delivery.objects.values_list("attempts", "next_attempt_at")) == {(0, T0 + HOLD)}


@pytest.mark.parametrize("held", [False, True], ids=["never-held", "released"])
def test_a_delivery_to_an_endpoint_not_held_costs_the_statements_it_always_did(
    make_endpoint, django_assert_num_queries, held
) -> None:
    """Claim UPDATE, SELECT of the row, then the outcome's UPDATE in a savepoint: five before
    the hold existed; a duplicate message one. An endpoint not held still costs exactly that."""
    with receiving() as receiver:
        endpoint, _ = make_endpoint(receiver.url)
        if held:  # held, then released by the probe's answer: as cheap as one never held
            _hold(endpoint, timezone.now() - timedelta(seconds=1))
            [probe] = _deliveries(endpoint, 1)
            assert sender.delivery_attempt(delivery_id=probe.id).ok
        [delivery] = _deliveries(endpoint, 1)
        with django_assert_num_queries(5):
            assert sender.delivery_attempt(delivery_id=delivery.id).ok
        with django_assert_num_queries(1):
            assert sender.delivery_attempt(delivery_id=delivery.id) is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks between connections: PostgreSQL"
)
def test_once_the_hold_lapses_exactly_one_of_two_concurrent_claims_probes(
    make_endpoint, settings
) -> None:
    """The first claim holds the endpoint's row lock (not yet committed) while the second,
    which read the lapsed hold too, waits for it: then finds the probe's hold and defers."""
    with receiving() as receiver:
        endpoint, _ = make_endpoint(receiver.url)
        first, second = _deliveries(endpoint, 2)
    now = datetime.now(UTC)
    _hold(endpoint, now - timedelta(seconds=1))
    lease_end = now + timedelta(
        seconds=settings.OUTBOUND_WEBHOOK_TIMEOUT_SECONDS + sender.LEASE_MARGIN_SECONDS
    )

    probe, other = second_waits_for_first(
        lambda: sender._claim(first.id, now), lambda: sender._claim(second.id, now)
    )

    assert probe is not None
    assert probe[1] is True  # the probe of the hold
    assert other is None
    assert _held_until(endpoint) == lease_end  # concurrent claims defer while it is in flight
    first.refresh_from_db()
    assert (first.attempts, first.lease_until) == (1, lease_end)
    second.refresh_from_db()
    assert (second.attempts, second.lease_until, second.next_attempt_at) == (0, None, lease_end)
