"""Celery's settings that do not depend on the environment, and the broker's transport options.

config/celery.py reads every `CELERY_*` name of the Django settings; settings.py imports these
and adds the ones read from the environment (broker URL, beat schedule intervals).
"""

from __future__ import annotations

from pathlib import Path

CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that enqueues fails fast (503) when the broker is down instead of hanging.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# In memory: every periodic job claims its period in the database, so a schedule file (which
# two schedulers on one machine would share) adds nothing.
CELERY_BEAT_SCHEDULER = "celery.beat:Scheduler"


def broker_transport_options(
    broker_url: str, *, data_dir: Path, key_prefix: str
) -> dict[str, object]:
    """Nothing configured means kombu's filesystem transport under `data_dir` (its folders are
    created here), a broker that needs no server, so `make run` runs a real worker and beat
    offline; otherwise Redis options."""
    if broker_url.startswith("filesystem:"):
        queue_dir = data_dir / "broker" / "queue"
        queue_dir.mkdir(parents=True, exist_ok=True)
        return {
            "data_folder_in": str(queue_dir),
            "data_folder_out": str(queue_dir),
            "control_folder": str(data_dir / "broker" / "control"),
        }
    return {
        # Redis: every broker key carries the cache prefix, so two deployments (or test runs)
        # on one Redis database never consume each other's tasks.
        "global_keyprefix": f"{key_prefix}:celery:",
        # A message a killed worker took comes back after this long (tasks are idempotent).
        "visibility_timeout": 900,
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
    }
