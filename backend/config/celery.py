"""The Celery app: configured from Django's settings (every `CELERY_*` name in settings.py),
and the beat schedule of apps/scheduling/beat.py.

Tasks live next to the services they call (`apps/<app>/tasks.py`) and are thin: they load ids
and call the same service functions the API calls. Worker: `celery --workdir backend -A config
worker`; scheduler: `celery --workdir backend -A config beat` (see docs/background-work.md).
"""

from __future__ import annotations

import atexit
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
_task_started: dict[str, float] = {}


def _worker_metrics_dir() -> None:
    """With WORKER_METRICS_PORT set, the pool's processes write their figures to files that the
    worker's main process serves (prometheus-client's multiprocess mode), in a directory made
    for this process unless PROMETHEUS_MULTIPROC_DIR names one. Here, at import: the mode is
    chosen when prometheus_client is first imported, before Django (and Celery's signals) start.
    The environment is read here rather than in settings.py for that reason."""
    if not os.environ.get("WORKER_METRICS_PORT", "").strip():
        return
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    path = tempfile.mkdtemp(prefix="tta-worker-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    owner = os.getpid()
    # Removed when this process ends (pool processes inherit the variable, not the duty).
    atexit.register(lambda: os.getpid() == owner and shutil.rmtree(path, ignore_errors=True))


_worker_metrics_dir()


@celeryd_init.connect
def _worker_metrics_dir_emptied(**_kwargs: Any) -> None:
    """A directory named by PROMETHEUS_MULTIPROC_DIR starts empty: a restarted worker's
    counters start from zero, as Prometheus expects of a new process."""
    from django.conf import settings

    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not settings.WORKER_METRICS_PORT or not path:
        return
    if "prometheus_client.values" not in sys.modules:
        return
    from prometheus_client import values

    if values.ValueClass is values.MutexValue:
        logging.getLogger(__name__).error("Worker metrics: not in multiprocess mode")
        return
    for name in os.listdir(path):
        if name.endswith(".db") and not name.endswith(f"_{os.getpid()}.db"):
            os.remove(os.path.join(path, name))


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
