"""The Celery app: configured from Django's settings (every `CELERY_*` name in settings.py).

Tasks live next to the services they call (`apps/<app>/tasks.py`) and are thin: they load ids
and call the same service functions the API calls. Worker: `celery --workdir backend -A config
worker`; scheduler: `celery --workdir backend -A config beat` (see docs/background-work.md).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)

app = Celery("tta")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _worker_waits_for_tiktok_budget(**_kwargs: Any) -> None:
    """Background work waits for the TikTok budget; requests answer 429 instead."""
    from integrations.tiktok import budget

    budget.budget_wait_when_exhausted(True)


def broker_ok() -> bool:
    """One connection attempt to the broker, bounded to a few seconds."""
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=3)
            if connection.transport.driver_type == "redis":
                connection.default_channel.client.ping()
    except Exception:
        logger.warning("Broker unreachable", exc_info=True)
        return False
    return True
