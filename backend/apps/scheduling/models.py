"""The claims of periodic runs: each period of each periodic job runs once."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class PeriodicClaim(models.Model):
    """A periodic job's period, claimed once: a second scheduler's run of it is a no-op."""

    key = models.CharField(max_length=200, unique=True)
    claimed_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.key
