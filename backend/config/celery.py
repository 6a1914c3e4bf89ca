"""The Celery app: configured from Django's settings (every `CELERY_*` name in settings.py),
and the beat schedule of apps/scheduling/beat.py.

Tasks live next to the services they call (`apps/<app>/tasks.py`) and are thin: they load ids
and call the same service functions the API calls. Worker: `celery --workdir backend -A config
worker`; scheduler: `celery --workdir backend -A config beat` (see docs/background-work.md).
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import worker_init
from celery.utils.collections import ChainMap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tta")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery's Django fix-up makes this app the default of every thread: the apps below config
# reach it as `celery.current_app` (or `@shared_task`), never by importing this module
# (tests/test_celery.py).
app.autodiscover_tasks()


@app.on_after_configure.connect
def _beat_schedule(source: ChainMap, **_kwargs: Any) -> None:
    """The periodic jobs, once the settings are read: settings.py imports no app."""
    from apps.scheduling.beat import beat_schedule

    source.beat_schedule = beat_schedule()


@worker_init.connect
def _worker_waits_for_tiktok_budget(**_kwargs: Any) -> None:
    """Background work waits for the TikTok budget; requests answer 429 instead."""
    from integrations.tiktok import budget

    budget.budget_wait_when_exhausted(True)
