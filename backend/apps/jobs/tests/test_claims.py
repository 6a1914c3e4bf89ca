"""A chunk is won by one worker, however the claims interleave.

Two `jobs.work` messages often pick the same fairest chunk at the same instant. The second
claim's UPDATE then waits for the first one's row lock and, once that commits, must match
nothing. The test makes the interleaving happen rather than hoping for it: the first claim
stays uncommitted until the second is seen waiting for its lock (PostgreSQL only: SQLite
writes one at a time).
"""

from __future__ import annotations

import pytest
from django.db import connection

from apps.jobs import services
from apps.jobs.models import Job, JobChunk, JobStatus
from testing.factories import personal_workspace
from testing.locks import second_waits_for_first

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks between connections: PostgreSQL"
    ),
]


def test_of_two_concurrent_claims_of_a_chunk_one_wins(user) -> None:
    job = Job.objects.create(
        workspace=personal_workspace(user), user=user, status=JobStatus.RUNNING, total=1
    )
    chunk = JobChunk.objects.create(job=job, account_ids=["a"])

    first, second = second_waits_for_first(
        lambda: services._chunk_claim(chunk.pk),  # leased, not yet committed
        lambda: services._chunk_claim(chunk.pk),
    )

    assert first is not None
    assert second is None


def test_a_chunk_of_a_job_that_is_over_is_not_claimed(user) -> None:
    job = Job.objects.create(
        workspace=personal_workspace(user), user=user, status=JobStatus.FAILED, total=1
    )
    chunk = JobChunk.objects.create(job=job, account_ids=["a"])

    assert services._chunk_claim(chunk.pk) is None
