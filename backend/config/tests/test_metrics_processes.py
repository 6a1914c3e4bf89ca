"""/metrics under a real gunicorn with two worker processes: whichever worker answers the
scrape, the figures are those of every worker (prometheus-client's multiprocess mode, set up
by gunicorn.conf.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from testing.processes import free_port, shared_database_url

pytestmark = pytest.mark.django_db(transaction=True)

GUNICORN = Path(sys.executable).with_name("gunicorn")
TOKEN = "gunicorn-metrics-token"
REQUESTS = 60


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(base URL, the multiprocess directory) of gunicorn -w 2 on the test database."""
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"stale")  # a previous run's: emptied at start
    base = f"http://127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "DATABASE_URL": shared_database_url(),
        "METRICS_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(  # noqa: S603 (our own interpreter's gunicorn, fixed arguments)
        [
            *(str(GUNICORN), "--chdir", "backend", "config.wsgi", "--workers", "2"),
            *("--bind", base.removeprefix("http://")),
        ],
        cwd=settings.PROJECT_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()[1].decode()[-2000:]
            try:
                requests.get(f"{base}/api/health/live", timeout=10)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        yield base, metrics_dir
    finally:
        process.terminate()
        process.communicate(timeout=30)


def live_requests_counted(base: str) -> float:
    answer = requests.get(
        f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert answer.status_code == 200
    return sum(
        sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
        if sample.name == "tta_http_requests_total" and sample.labels["route"] == "/api/health/live"
    )


def test_every_scrape_sums_the_figures_of_every_worker(gunicorn):
    base, metrics_dir = gunicorn
    first = live_requests_counted(base)  # the probe of the fixture
    # Each request on a connection of its own, several at once: both workers serve some.
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(lambda _: requests.get(f"{base}/api/health/live", timeout=10), range(REQUESTS))
        )
    assert {a.status_code for a in answers} == {200}

    scrapes = [live_requests_counted(base) for _ in range(6)]

    writers = {path.stem.rsplit("_", 1)[1] for path in metrics_dir.glob("counter_*.db")}
    assert len(writers) == 2, writers  # both worker processes recorded requests
    assert "1" not in writers  # the stale file was removed at start
    assert scrapes == [first + REQUESTS] * 6


def worker_tasks_counted(base: str) -> float | None:
    try:
        answer = requests.get(
            f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
        )
    except requests.RequestException:
        return None
    assert answer.status_code == 200, answer.text
    return sum(
        sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
        if sample.name == "tta_tasks_total"
        and sample.labels == {"task": "testing.noop", "outcome": "succeeded"}
    )


def test_a_worker_serves_the_task_figures_of_every_pool_process(tmp_path: Path):
    """A real worker (prefork, 2 processes, the embedded broker in a directory of its own) with
    WORKER_METRICS_PORT: its /metrics counts the tasks whichever pool process ran them."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "CELERY_BROKER_URL", "PROMETHEUS_MULTIPROC_DIR"}
    }
    env.update(
        DATA_DIR=str(tmp_path),
        DATABASE_URL=shared_database_url(),
        DEBUG="true",
        METRICS_TOKEN=TOKEN,
        WORKER_METRICS_PORT=str(port),
        LOG_LEVEL="WARNING",
    )
    celery = [sys.executable, "-m", "celery", "--workdir", "backend", "-A", "config"]
    worker = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [*celery, "worker", "--concurrency", "2", "--loglevel", "WARNING"],
        cwd=settings.PROJECT_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while worker_tasks_counted(base) is None:
            assert worker.poll() is None, "the worker exited on start"
            assert time.monotonic() < deadline, "the worker's /metrics did not answer"
            time.sleep(0.5)
        assert requests.get(f"{base}/metrics", timeout=5).status_code == 401
        for _ in range(6):
            subprocess.run(  # noqa: S603 (our own interpreter and arguments)
                [*celery, "call", "testing.noop"],
                cwd=settings.PROJECT_DIR,
                env={**env, "WORKER_METRICS_PORT": ""},
                check=True,
                capture_output=True,
                timeout=60,
            )
        while worker_tasks_counted(base) != 6:
            assert time.monotonic() < deadline + 60, worker_tasks_counted(base)
            time.sleep(0.5)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
