"""`make run` stops every process it started, whatever stops it.

A real `make run` (SQLite in a temporary DATA_DIR, free ports), started in a session of its own
so that every process it starts, grandchildren included, can be found by session id in /proc.
Signals as they arrive in life: SIGTERM to make's pid (a process manager, CI's cleanup; make
passes SIGTERM on to its recipe), SIGHUP and SIGINT to make's process group (a terminal closing,
Ctrl-C), SIGTERM/SIGHUP to scripts/run.sh when it is started directly, and SIGKILL to make
(run.sh notices its parent is gone).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.conf import settings

from testing.processes import free_port

PROJECT_DIR: Path = settings.PROJECT_DIR
START_TIMEOUT_S = 120  # migrate of a fresh SQLite file on a busy 2-core machine
STOP_TIMEOUT_S = 10

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists() or shutil.which("make") is None,
    reason="needs Linux /proc and GNU make",
)


def _port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def _live_processes_in_session(session_id: int) -> dict[int, str]:
    """pid -> command line of every running (not zombie) process of that session."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # gone meanwhile
        # "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses.
        state, _ppid, _pgrp, session = raw.rsplit(")", 1)[1].split()[:4]
        if int(session) == session_id and state != "Z":
            found[int(stat.parent.name)] = cmdline.strip()
    return found


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One for the module: the first run migrates it, the others start faster."""
    return tmp_path_factory.mktemp("run-data")


def _env(data_dir: Path, port: int, fake_port: int) -> dict[str, str]:
    drop = {"DATABASE_URL", "REDIS_URL", "CACHE_KEY_PREFIX", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in drop and not key.startswith("TIKTOK_")
    }
    return {
        **env,
        "PORT": str(port),
        "FAKE_TIKTOK_PORT": str(fake_port),
        "DATA_DIR": str(data_dir),
        "DEBUG": "true",
    }


@pytest.fixture
def started(data_dir: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[dict]:
    """`make run` or `bash scripts/run.sh` (indirect param), serving; everything killed after."""
    command = request.param
    port, fake_port = free_port(), free_port()
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        top = subprocess.Popen(  # noqa: S603
            command,
            cwd=PROJECT_DIR,
            env=_env(data_dir, port, fake_port),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own session and process group, like a terminal's job
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert top.poll() is None, f"{command} exited on start:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"no health 200 in time:\n{log.read_text()}"
            try:
                if requests.get(f"http://127.0.0.1:{port}/api/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        started = _live_processes_in_session(top.pid)
        # make, run.sh, the fake TikTok, runserver's autoreloader and its server child.
        assert len(started) >= 4, started
        assert _port_open(fake_port)
        yield {"top": top, "ports": (port, fake_port), "started": started, "log": log}
    finally:
        for pid in _live_processes_in_session(top.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        top.wait(timeout=10)


MAKE_RUN = ["make", "--no-print-directory", "run"]
RUN_SH = ["bash", "scripts/run.sh"]


@pytest.mark.parametrize(
    ("started", "sig", "to_group"),
    [
        (MAKE_RUN, signal.SIGTERM, False),
        (MAKE_RUN, signal.SIGHUP, True),
        (MAKE_RUN, signal.SIGINT, True),
        (RUN_SH, signal.SIGTERM, False),
        (RUN_SH, signal.SIGHUP, False),
        (MAKE_RUN, signal.SIGKILL, False),
    ],
    ids=[
        "make-TERM",
        "make-HUP-terminal-closed",
        "make-INT-ctrl-c",
        "run.sh-TERM",
        "run.sh-HUP",
        "make-KILL-parent-gone",
    ],
    indirect=["started"],
)
def test_a_stop_signal_stops_every_started_process(started: dict, sig: int, to_group: bool) -> None:
    top: subprocess.Popen = started["top"]

    if to_group:
        os.killpg(top.pid, sig)
    else:
        os.kill(top.pid, sig)

    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        top.poll()  # reap it: a zombie is not a running process
        left = _live_processes_in_session(top.pid)
        if not left and not any(_port_open(port) for port in started["ports"]):
            break
        time.sleep(0.2)
    assert _live_processes_in_session(top.pid) == {}, started["log"].read_text()
    assert [port for port in started["ports"] if _port_open(port)] == []
    assert top.poll() is not None
