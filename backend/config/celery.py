"""The Celery app: configured from Django's settings (every `CELERY_*` name in settings.py),
and the beat schedule of apps/scheduling/beat.py.

Tasks live next to the services they call (`apps/<app>/tasks.py`) and are thin: they load ids
and call the same service functions the API calls. Worker: `celery --workdir backend -A config
worker`; scheduler: `celery --workdir backend -A config beat` (see docs/background-work.md).
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import time
from typing import Any

from celery import Celery, Task
from celery.signals import (
    celeryd_init,
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_shutdown,
    worker_shutdown,
)
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


# --- Metrics (docs/operations.md#metrics) ---------------------------------------------------
_metrics_dir: dict[str, str] = {}
_task_started: dict[str, float] = {}


@celeryd_init.connect
def _worker_metrics_dir(**_kwargs: Any) -> None:
    """With WORKER_METRICS_PORT set, the pool's processes write their figures to files the
    worker's main process serves (prometheus-client's multiprocess mode), in a directory made
    for this worker unless PROMETHEUS_MULTIPROC_DIR names one (emptied here: a restart starts
    from zero, as a counter may). Before the first metric exists: the mode is chosen then."""
    from django.conf import settings

    if not settings.WORKER_METRICS_PORT:
        return
    if "prometheus_client.values" in sys.modules and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Too late for multiprocess mode: only this process's own figures would be served.
        logging.getLogger(__name__).error("Worker metrics: prometheus_client was loaded early")
        return
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        for name in os.listdir(path):
            if name.endswith(".db"):
                os.remove(os.path.join(path, name))
    else:
        path = _metrics_dir["made"] = tempfile.mkdtemp(prefix="tta-worker-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = path


@worker_init.connect
def _worker_metrics_serve(**_kwargs: Any) -> None:
    from django.conf import settings

    from config.metrics import worker_metrics_serve

    if settings.WORKER_METRICS_PORT:
        worker_metrics_serve(settings.WORKER_METRICS_PORT)


@worker_process_shutdown.connect
def _pool_process_gone(pid: int | None = None, **_kwargs: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())


@worker_shutdown.connect
def _worker_metrics_dir_removed(**_kwargs: Any) -> None:
    if made := _metrics_dir.pop("made", None):
        shutil.rmtree(made, ignore_errors=True)


@task_prerun.connect
def _task_started_at(task_id: str, **_kwargs: Any) -> None:
    _task_started[task_id] = time.perf_counter()


@task_postrun.connect
def _task_counted(task_id: str, task: Task, state: str | None = None, **_kwargs: Any) -> None:
    """tta_tasks_total and tta_task_duration_seconds, in whichever process ran the task."""
    from apps.core.metrics import task_observed

    started = _task_started.pop(task_id, None)
    seconds = None if started is None else time.perf_counter() - started
    task_observed(task.name, state or "", seconds)
