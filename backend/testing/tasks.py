"""Test-only Celery tasks (development only, like the rest of `testing`): autodiscovered by the
workers the broker tests start, never present in the production image."""

from __future__ import annotations

import os
import time
from pathlib import Path

from celery import Task, shared_task

# The first run blocks at most this long: long enough to be killed, short enough that a test
# which failed to kill it never waits on it forever.
BLOCK_SECONDS = 120


@shared_task(bind=True, name="testing.block_first_run")
def block_first_run(self: Task, marker_dir: str) -> None:
    """The first run of this message signals it started, then blocks until it is killed; any
    later run (the redelivered message) signals it started, then that it finished.

    Markers are files in `marker_dir`: `started.<node>` and `done.<node>` hold the pid of the
    pool process that ran the task.
    """
    directory = Path(marker_dir)
    node = self.request.hostname
    (directory / f"started.{node}").write_text(str(os.getpid()))
    try:
        # O_EXCL: exactly one run, on any worker, wins the right to block.
        os.close(os.open(directory / "first-run", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        (directory / f"done.{node}").write_text(str(os.getpid()))
        return
    time.sleep(BLOCK_SECONDS)


@shared_task(name="testing.noop")
def noop() -> None:
    """Does nothing: a task run for the worker metrics test to count."""
