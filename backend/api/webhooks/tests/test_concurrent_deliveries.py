"""Identical deliveries racing each other in two real server processes: exactly one wins.

TikTok may deliver one event twice at the same moment, to whichever process its load balancer
picks. Two `manage.py runserver` processes on the test database receive ten identical signed
deliveries released together; the database's unique key on the event decides, not a read made
before the write.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import timedelta

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.utils import timezone

from api.webhooks.tests.conftest import URL, event_body
from apps.audit.models import AuditLog
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.webhooks.models import WebhookEvent, WebhookStatus
from testing.factories import TikTokAccountFactory, UserFactory
from testing.fake_tiktok.webhooks import sign
from testing.processes import runserver

# Committed rows: the servers are other processes with their own connections.
pytestmark = pytest.mark.django_db(transaction=True)

DELIVERIES = 10
OPEN_ID = "open-id-raced"


@pytest.fixture
def two_servers(django_db_setup: None) -> Iterator[list[str]]:
    if connection.vendor == "sqlite":
        pytest.skip(
            "PostgreSQL-only: SQLite runs every write transaction alone (BEGIN IMMEDIATE), so "
            "deliveries cannot overlap there and even a check-then-insert would pass"
        )
    with ExitStack() as stack:
        yield [stack.enter_context(runserver(LOG_LEVEL="WARNING")) for _ in range(2)]


def test_ten_identical_deliveries_at_once_to_two_processes_are_processed_once(
    two_servers,
) -> None:
    connected = timezone.now() - timedelta(hours=1)
    accounts = [
        TikTokAccountFactory(user=UserFactory(), open_id=OPEN_ID, connected_at=connected)
        for _ in range(2)
    ]
    body = event_body(OPEN_ID, reason=1)
    signature = sign(settings.TIKTOK_CLIENT_SECRET, int(time.time()), body)
    start = threading.Barrier(DELIVERIES)

    def deliver(number: int) -> str:
        session = requests.Session()
        url = two_servers[number % 2] + URL
        # Connected before the barrier: the requests leave together, not the handshakes.
        session.get(two_servers[number % 2] + "/api/health/live", timeout=10)
        start.wait(timeout=30)
        response = session.post(
            url,
            data=body,
            headers={"TikTok-Signature": signature, "Content-Type": "application/json"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response.json()["status"]

    with ThreadPoolExecutor(DELIVERIES) as pool:
        statuses = Counter(pool.map(deliver, range(DELIVERIES)))

    assert statuses == {WebhookStatus.PROCESSED: 1, WebhookStatus.DUPLICATE: DELIVERIES - 1}
    assert list(WebhookEvent.objects.values_list("status", flat=True)) == ["processed"]
    for account in accounts:
        assert TikTokAccount.all_objects.get(pk=account.pk).status == AccountStatus.REVOKED
        entries = AuditLog.objects.filter(resource_id=account.pk)
        assert list(entries.values_list("action", flat=True)) == ["authorization_removed"]
