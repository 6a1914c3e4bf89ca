"""A real Celery worker on Redis delivering to a real receiver: a worker killed mid-delivery
loses no delivery, a delivery that succeeded is never sent again, and an endpoint that hangs
holds back neither the request nor other endpoints' deliveries, however long its backlog.

Run in CI's PostgreSQL + Redis pass (skipped without REDIS_URL). Every wait is a bounded poll.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.events.models import Event, EventType
from apps.events.services import event_emit
from apps.outbound_webhooks import delivery as sender
from apps.outbound_webhooks.models import Delivery, DeliveryStatus, WebhookEndpoint
from testing.factories import personal_workspace
from testing.receiver import Receiver, receiving
from testing.workers import REAL_WORKER_MARKS, celery_processes, kill, wait_for

pytestmark = REAL_WORKER_MARKS
# Both queues: the default one fans out, `webhooks` delivers.
QUEUES = "celery,webhooks"
WORKER_ENV = {
    "OUTBOUND_WEBHOOKS_ALLOW_HTTP": "true",
    "OUTBOUND_WEBHOOKS_ALLOW_PRIVATE": "true",
    "OUTBOUND_WEBHOOK_TIMEOUT_SECONDS": "60",
}


def _emit(user, type_: EventType = EventType.PING) -> str:
    with transaction.atomic():
        event = event_emit(workspace_id=personal_workspace(user).id, type=type_, data={})
    return str(event.id)


def _received(receiver: Receiver, event_id: str) -> int:
    return sum(1 for r in receiver.requests if r.headers["webhook-id"] == event_id)


def test_a_worker_killed_mid_delivery_loses_nothing_and_a_success_is_never_repeated(
    user, loopback, make_endpoint, fake_tiktok
) -> None:
    with receiving(delay=30) as receiver:
        make_endpoint(receiver.url)
        with celery_processes(fake_tiktok, env=WORKER_ENV, queues=QUEUES) as [doomed]:
            first = _emit(user)
            wait_for(lambda: _received(receiver, first) == 1, timeout=60, what="the first send")
            kill(doomed)  # SIGKILL, mid-delivery: the receiver has not answered
            doomed.wait(timeout=15)
        delivery = Delivery.objects.get(event_id=first)
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
        assert delivery.lease_until is not None

        receiver.delay = 0
        # As if the lease and the scan's grace had passed (the scan runs every 15 s).
        past = timezone.now() - sender.SCAN_GRACE - timedelta(seconds=1)
        Delivery.objects.filter(pk=delivery.pk).update(lease_until=past, next_attempt_at=past)
        with celery_processes(fake_tiktok, env=WORKER_ENV, queues=QUEUES):
            assert sender.deliveries_scan() == (0, 1)
            wait_for(
                lambda: Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.SUCCEEDED,
                timeout=60,
                what="the delivery to succeed on the new worker",
            )
            # Duplicate messages and scans after the success: none may send it again.
            sender.deliveries_enqueue([str(delivery.pk)] * 3)
            sender.deliveries_scan()
            barrier = _emit(user)  # one queue, in order: once it arrives, the duplicates ran
            wait_for(lambda: _received(receiver, barrier) == 1, timeout=60, what="the barrier")
            time.sleep(1)  # the other pool process may still be on a duplicate
    assert _received(receiver, first) == 2  # at least once: the killed attempt, then the retry
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 2, 204)


def test_a_hanging_endpoint_delays_neither_the_request_nor_another_endpoints_delivery(
    user, auth_client, loopback, make_endpoint, fake_tiktok, link_account
) -> None:
    """Production's layout: one worker on the default queue, one on `webhooks`. While one
    endpoint holds its delivery unanswered, the API answers the request that caused the next
    event, and the other endpoint receives both events."""
    with receiving(delay=45) as hanging, receiving() as fast:
        make_endpoint(hanging.url)
        make_endpoint(fast.url)
        with (
            celery_processes(fake_tiktok, env=WORKER_ENV, queues="celery"),
            celery_processes(fake_tiktok, env=WORKER_ENV, queues="webhooks"),
        ):
            first = _emit(user)
            wait_for(lambda: _received(hanging, first) == 1, timeout=60, what="the hanging send")
            account, _ = link_account(user)
            fake_tiktok.revoke_all(account.open_id)
            answer = auth_client.post(f"/api/accounts/{account.id}/sync")
            assert answer.status_code == 409, answer.content  # answered: revoked, an event
            second = str(Event.objects.get(type=EventType.ACCOUNT_STATUS_CHANGED).id)
            for event_id in (first, second):
                wait_for(
                    lambda e=event_id: _received(fast, e) == 1, timeout=60, what="the fast send"
                )
            held = Delivery.objects.get(event_id=first, endpoint__url=hanging.url)
            assert (held.status, held.attempts) == (DeliveryStatus.PENDING, 1)
            assert held.lease_until is not None  # still in flight: its endpoint has not answered
        assert Delivery.objects.get(event_id=first, endpoint__url=fast.url).status == "succeeded"


# The `webhooks` worker of celery_processes: 2 processes; a short timeout keeps the test short.
CONCURRENCY = 2
TIMEOUT_SECONDS = 2


def test_an_endpoint_hanging_with_a_backlog_holds_one_round_of_slots_not_the_queue(
    user, loopback, make_endpoint, fake_tiktok
) -> None:
    """A backlog of 6x the worker's concurrency for an endpoint that never answers, then one
    event for another endpoint. Its first attempts time out and hold the endpoint; the rest of
    the backlog is deferred at once, so the other delivery goes out after about one timeout,
    where without the hold it would wait for the backlog: backlog x timeout / concurrency."""
    backlog = 6 * CONCURRENCY
    env = {**WORKER_ENV, "OUTBOUND_WEBHOOK_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS)}
    with receiving(delay=30) as hanging, receiving() as fast:
        stuck, _ = make_endpoint(hanging.url, ["ping"])
        make_endpoint(fast.url, [EventType.JOB_FINISHED])
        # Fanned out here: only the `webhooks` queue has a worker, and all of it is deliveries.
        sender.events_fan_out(event_ids=[_emit(user) for _ in range(backlog)])
        with celery_processes(fake_tiktok, env=env, queues="webhooks"):
            wait_for(lambda: len(hanging.requests) >= 1, timeout=20, what="the first hang")
            event_id = _emit(user, EventType.JOB_FINISHED)
            sent_at = time.time()
            sender.events_fan_out(event_ids=[event_id])
            wait_for(lambda: _received(fast, event_id) == 1, timeout=20, what="the fast send")
            [arrived] = fast.requests
            hung = [r for r in hanging.requests if r.at <= arrived.at]
            deferred = Delivery.objects.filter(endpoint=stuck, status="pending", attempts=0)
            deferred_count = deferred.count()
            held_until = WebhookEndpoint.objects.get(pk=stuck.pk).held_until
    assert len(hung) <= CONCURRENCY  # one round of slots, not the backlog
    assert deferred_count >= backlog - CONCURRENCY  # waiting for the hold, no attempt counted
    assert held_until is not None
    # A generous bound: before the backlog could have drained through the worker's slots.
    assert arrived.at - sent_at < backlog * TIMEOUT_SECONDS / CONCURRENCY
