"""Once per period, whatever the number of schedulers and workers: a claim row per period."""

from __future__ import annotations

import time
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.scheduling.models import PeriodicClaim

CLAIMS_KEPT_DAYS = 7


def periodic_claim(*, name: str, interval_seconds: int) -> bool:
    """True for the first caller in the current period of `name`, False for every other one.

    Periods are aligned on the epoch, so two schedulers started at different times still
    share them; the interval is part of the key, so changing it starts afresh.
    """
    period = int(time.time() // interval_seconds)
    try:
        with transaction.atomic():
            PeriodicClaim.objects.create(key=f"{name}:{interval_seconds}:{period}")
    except IntegrityError:
        return False
    return True


def periodic_claims_prune() -> int:
    """Deletes claims older than CLAIMS_KEPT_DAYS (kept that long to answer "did it run?")."""
    cutoff = timezone.now() - timedelta(days=CLAIMS_KEPT_DAYS)
    deleted, _ = PeriodicClaim.objects.filter(claimed_at__lt=cutoff).delete()
    return deleted
