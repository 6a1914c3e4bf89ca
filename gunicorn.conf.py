"""Gunicorn's settings beside the command line, read from the directory gunicorn starts in (the
project's root, before `--chdir backend` applies): prometheus-client's multiprocess mode for
the workers, so that /metrics, whichever worker answers it, sums the figures of every worker
(docs/operations.md#metrics).

The directory is made here, in the master, before any worker imports prometheus_client (the
mode is chosen then), unless PROMETHEUS_MULTIPROC_DIR names one, which is emptied: a restarted
server starts its counters from zero, which Prometheus's rate() expects.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

_made = ""
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    for _name in os.listdir(_dir):
        if _name.endswith(".db"):
            os.remove(os.path.join(_dir, _name))
else:
    _made = tempfile.mkdtemp(prefix="tta-web-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _made


def child_exit(server: Any, worker: Any) -> None:
    """A worker is gone: its live gauges go with it (its counters stay in the sums)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    if _made:
        shutil.rmtree(_made, ignore_errors=True)
