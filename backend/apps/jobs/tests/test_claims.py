"""A chunk is won by one worker, however the claims interleave.

Two `jobs.work` messages often pick the same fairest chunk at the same instant. The second
claim's UPDATE then waits for the first one's row lock and, once that commits, must match
nothing. The test makes the interleaving happen rather than hoping for it: the first claim
stays uncommitted until the second is seen waiting for its lock (PostgreSQL only: SQLite
writes one at a time).
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from apps.jobs import services
from apps.jobs.models import Job, JobChunk, JobStatus
from testing.factories import personal_workspace

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks between connections: PostgreSQL"
    ),
]
WAIT_SECONDS = 10


def _waiting_for_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


def test_of_two_concurrent_claims_of_a_chunk_one_wins(user) -> None:
    job = Job.objects.create(
        workspace=personal_workspace(user), user=user, status=JobStatus.RUNNING, total=1
    )
    chunk = JobChunk.objects.create(job=job, account_ids=["a"])
    second: dict[str, object] = {}

    def claim_in_another_connection() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                second["pid"] = cursor.fetchone()[0]
            second["won"] = services._chunk_claim(chunk.pk)
        finally:
            connections.close_all()

    with transaction.atomic():
        assert services._chunk_claim(chunk.pk) is not None  # leased, not yet committed
        other = threading.Thread(target=claim_in_another_connection)
        other.start()
        deadline = time.monotonic() + WAIT_SECONDS
        while not ("pid" in second and _waiting_for_a_lock(second["pid"])):
            assert other.is_alive(), "the second claim ended without waiting for the row lock"
            assert time.monotonic() < deadline, "the second claim never waited for the row lock"
            time.sleep(0.01)
    other.join(WAIT_SECONDS)

    assert second["won"] is None


def test_a_chunk_of_a_job_that_is_over_is_not_claimed(user) -> None:
    job = Job.objects.create(
        workspace=personal_workspace(user), user=user, status=JobStatus.FAILED, total=1
    )
    chunk = JobChunk.objects.create(job=job, account_ids=["a"])

    assert services._chunk_claim(chunk.pk) is None
