"""The outbound webhooks contract end to end: an integrator's API key, a real Celery worker on
both queues, a real receiver on loopback, signatures checked with `standardwebhooks`.

The key is made with a login (key management takes no key); everything else goes through the
HTTP API with the key (scopes read + write). The worker retries after 1 s, twice, and disables
an endpoint after 2 failed deliveries. Runs in CI's PostgreSQL + Redis pass. Every wait is a
bounded poll; the test takes a few seconds once the worker is up.
"""

from __future__ import annotations

import base64
import os
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from apps.events.models import Event
from apps.outbound_webhooks.models import Delivery
from testing.accounts import LinkAccount
from testing.api_keys import key_header
from testing.fake_tiktok import FakeTikTok
from testing.http import assert_error, post_json
from testing.receiver import Received, Receiver, receiving
from testing.workers import celery_processes, wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_URL or "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="a real worker needs PostgreSQL + Redis: runs in CI's PostgreSQL + Redis pass",
    ),
    pytest.mark.skipif(
        bool(os.environ.get("TEST_CLOCK", "").strip()),
        reason="TEST_CLOCK moves this process's clock only: the worker keeps the real time",
    ),
]
WORKER_ENV = {
    "OUTBOUND_WEBHOOKS_ALLOW_HTTP": "true",
    "OUTBOUND_WEBHOOKS_ALLOW_PRIVATE": "true",
    "OUTBOUND_WEBHOOK_TIMEOUT_SECONDS": "5",
    "OUTBOUND_WEBHOOK_RETRY_SCHEDULE": "1,1",  # 3 attempts, the retries by countdown
    "OUTBOUND_WEBHOOK_DISABLE_AFTER_FAILURES": "2",
}
STATUS_CHANGED = "account.status_changed"


@pytest.fixture(autouse=True)
def _endpoints_on_loopback(real_broker: None, settings) -> None:
    settings.OUTBOUND_WEBHOOKS_ALLOW_HTTP = True  # the API checks the URL at creation
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = True


def arrivals(receiver: Receiver, event_id: str) -> list[Received]:
    return [r for r in receiver.requests if r.headers["webhook-id"] == event_id]


def verified(received: Received, *secrets: str) -> dict[str, Any]:
    """The body, after checking that each secret's signature is on the request."""
    bodies = [Webhook(secret).verify(received.body, received.headers) for secret in secrets]
    assert all(body == bodies[0] for body in bodies)
    return bodies[0]


def status_change_through_the_api(
    key: Client, user: Any, fake: FakeTikTok, link_account: LinkAccount
) -> str:
    """TikTok revokes an account's grant; its sync (with the key) makes it `revoked`: the id
    of the `account.status_changed` event that emitted."""
    account, _ = link_account(user)
    fake.revoke_all(account.open_id)
    assert_error(key.post(f"/api/accounts/{account.id}/sync"), 409, "TIKTOK_REAUTH_REQUIRED")
    return str(Event.objects.get(type=STATUS_CHANGED, data__account__id=str(account.id)).id)


def deliveries(key: Client, endpoint_id: str, status: str) -> list[dict[str, Any]]:
    answer = key.get(f"/api/webhook-endpoints/{endpoint_id}/deliveries?status={status}&limit=50")
    assert answer.status_code == 200, answer.content
    return answer.json()["items"]


def test_with_a_key_events_arrive_signed_retry_disable_the_endpoint_rotate_and_redeliver(
    user, auth_client, fake_tiktok: FakeTikTok, link_account: LinkAccount
) -> None:
    made_key = post_json(auth_client, "/api/api-keys", {"name": "crm", "scopes": ["read", "write"]})
    assert made_key.status_code == 201, made_key.content
    key = Client(headers=key_header(made_key.json()["key"]))
    assert_error(key.get("/api/api-keys"), 403, "INSUFFICIENT_SCOPE")  # managed with a login

    worker = celery_processes(fake_tiktok, env=WORKER_ENV, queues="celery,webhooks")
    with receiving() as receiver, worker:
        made = post_json(key, "/api/webhook-endpoints", {"url": receiver.url, "events": ["*"]})
        assert made.status_code == 201, made.content
        endpoint_id, secret = made.json()["id"], made.json()["secret"]
        endpoint = f"/api/webhook-endpoints/{endpoint_id}"

        # A test ping and a real event, each delivered once, signed with the secret.
        ping = key.post(f"{endpoint}/test")
        assert ping.status_code == 202, ping.content
        ping_id = ping.json()["event_id"]
        revoked_id = status_change_through_the_api(key, user, fake_tiktok, link_account)
        for event_id in (ping_id, revoked_id):
            wait_for(lambda e=event_id: arrivals(receiver, e), timeout=30, what=f"event {event_id}")
        assert verified(arrivals(receiver, ping_id)[0], secret)["type"] == "ping"
        revoked = verified(arrivals(receiver, revoked_id)[0], secret)
        assert (revoked["type"], revoked["data"]["previous_status"]) == (STATUS_CHANGED, "active")
        assert revoked["data"]["account"]["status"] == "revoked"
        wait_for(
            lambda: len(deliveries(key, endpoint_id, "succeeded")) == 2,
            timeout=15,
            interval=0.25,
            what="the delivery log to show both successes",
        )

        # The receiver fails: each delivery is tried 3 times, then `failed`; 2 failed disable it.
        receiver.default_status = 500
        failing = [status_change_through_the_api(key, user, fake_tiktok, link_account)]
        failing.append(status_change_through_the_api(key, user, fake_tiktok, link_account))
        wait_for(
            lambda: not key.get(endpoint).json()["is_active"],
            timeout=20,
            interval=0.25,
            what="the endpoint to be disabled",
        )
        assert key.get(endpoint).json()["disabled_reason"] == "failing"
        failed = {d["event_id"]: d for d in deliveries(key, endpoint_id, "failed")}
        assert set(failed) == set(failing)
        for event_id in failing:
            assert len(arrivals(receiver, event_id)) == 3
            assert {r.headers["webhook-id"] for r in arrivals(receiver, event_id)} == {event_id}
            assert (failed[event_id]["attempts"], failed[event_id]["last_status_code"]) == (3, 500)
        # A disabled endpoint gets no delivery of a new event (fanned out by the worker).
        ignored = status_change_through_the_api(key, user, fake_tiktok, link_account)
        wait_for(
            lambda: Event.objects.get(pk=ignored).fanned_out_at is not None,
            timeout=15,
            what="the new event's fan-out",
        )
        assert not Delivery.objects.filter(event_id=ignored).exists()
        assert not arrivals(receiver, ignored)

        # Re-activated and rotated: during the overlap a delivery carries both signatures.
        receiver.default_status = 204
        again = key.patch(endpoint, {"is_active": True}, content_type="application/json")
        assert (again.json()["is_active"], again.json()["disabled_reason"]) == (True, None)
        rotated = key.post(f"{endpoint}/rotate-secret")
        assert rotated.status_code == 200, rotated.content
        new_secret = rotated.json()["secret"]
        assert new_secret != secret
        second_ping = key.post(f"{endpoint}/test").json()["event_id"]
        wait_for(lambda: arrivals(receiver, second_ping), timeout=15, what="the rotated ping")
        both = arrivals(receiver, second_ping)[0]
        assert len(both.headers["webhook-signature"].split(" ")) == 2
        assert verified(both, secret, new_secret)["type"] == "ping"
        stranger = "whsec_" + base64.b64encode(os.urandom(24)).decode()
        with pytest.raises(WebhookVerificationError):
            Webhook(stranger).verify(both.body, both.headers)

        # Redelivery of a failed delivery: the same webhook-id once more, now accepted.
        redelivered = key.post(f"/api/webhook-deliveries/{failed[failing[0]]['id']}/redeliver")
        assert redelivered.status_code == 202, redelivered.content
        assert redelivered.json()["event_id"] == failing[0]
        wait_for(
            lambda: len(arrivals(receiver, failing[0])) == 4, timeout=15, what="the redelivery"
        )
        assert verified(arrivals(receiver, failing[0])[-1], secret, new_secret)["id"] == failing[0]
        wait_for(
            lambda: (
                redelivered.json()["id"]
                in {d["id"] for d in deliveries(key, endpoint_id, "succeeded")}
            ),
            timeout=15,
            interval=0.25,
            what="the delivery log to show the redelivery succeeded",
        )
        assert {d["event_id"] for d in deliveries(key, endpoint_id, "failed")} == set(failing)
