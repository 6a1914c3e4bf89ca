"""Celery's settings that do not depend on the environment, and the broker's transport options.

config/celery.py reads every `CELERY_*` name of the Django settings; settings.py imports these
and adds the ones read from the environment (broker URL, beat schedule intervals).
"""

from __future__ import annotations

from pathlib import Path

# Redis as the broker: a message taken by a worker that died comes back after this long.
REDIS_VISIBILITY_TIMEOUT_SECONDS = 900

CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that enqueues fails fast (503) when the broker is down instead of hanging.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# Late acknowledgement: a message is acknowledged after its task ran, so a worker killed
# mid-task (SIGKILL, OOM, a lost machine) has it run again; every task is idempotent for this
# (docs/background-work.md). On RabbitMQ the message comes back the moment the worker's
# connection closes; on Redis after the visibility timeout below.
CELERY_TASK_ACKS_LATE = True
# A pool process killed mid-task (the OOM killer picks the biggest) is rejected back to the
# queue instead of acknowledged as failed.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Each worker process reserves one message at a time: a killed worker held back no others, and a
# long task does not keep a reserved one waiting behind it.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# After a lost broker connection the messages of running tasks go back to the queue (they can
# no longer be acknowledged); stopping those tasks keeps them from running twice at once.
# Celery 6's default; set now so the worker does not warn.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_IGNORE_RESULT = True
# Outbound webhook deliveries have their own queue (and worker): an endpoint that hangs until
# its timeout holds back other deliveries at most, never syncs, jobs or posts.
CELERY_TASK_ROUTES = {"outbound_webhooks.deliver": {"queue": "webhooks"}}
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
    offline; then RabbitMQ's options (`amqp://`, `pyamqp://`) or Redis's."""
    if broker_url.startswith("filesystem:"):
        queue_dir = data_dir / "broker" / "queue"
        queue_dir.mkdir(parents=True, exist_ok=True)
        return {
            "data_folder_in": str(queue_dir),
            "data_folder_out": str(queue_dir),
            "control_folder": str(data_dir / "broker" / "control"),
        }
    if broker_url.startswith(("amqp:", "amqps:", "pyamqp:")):
        # RabbitMQ confirms each published message once it holds it: enqueueing fails loudly
        # (503) instead of losing a message the broker dropped.
        return {"confirm_publish": True}
    return {
        # Redis: every broker key carries the cache prefix, so two deployments (or test runs)
        # on one Redis database never consume each other's tasks.
        "global_keyprefix": f"{key_prefix}:celery:",
        # A message a killed worker took comes back after this long (tasks are idempotent);
        # longer than the longest task, or a slow task would run twice. A retry's countdown
        # (at most 900 s) is held unacknowledged too, so one at the cap may run twice.
        "visibility_timeout": REDIS_VISIBILITY_TIMEOUT_SECONDS,
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
    }
