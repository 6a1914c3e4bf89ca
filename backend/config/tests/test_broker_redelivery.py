"""A worker killed with SIGKILL mid-task loses nothing: on RabbitMQ, with late acknowledgement,
another worker runs the task again within seconds (config/settings_celery.py).

Two real worker processes (prefork, one pool process each) consume a queue of this test's own,
so concurrent runs on one RabbitMQ never take each other's messages. The broker is
`TEST_RABBITMQ_URL` (default `amqp://guest:guest@127.0.0.1:5672//`; empty: these tests are off).
Unreachable, the tests are skipped, except in CI (`CI=true`), where they fail. Every wait is a
bounded poll.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery
from kombu import Connection, Exchange, Queue

from testing.workers import BACKEND_DIR, wait_for

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672//"
START_TIMEOUT_SECONDS = 60
# Generous, so a busy machine never fails the test; redelivery itself takes well under a second.
REDELIVERY_TIMEOUT_SECONDS = 30


def _broker_url() -> str:
    url = os.environ.get("TEST_RABBITMQ_URL", DEFAULT_URL).strip()
    if not url:
        pytest.skip("TEST_RABBITMQ_URL is empty: the RabbitMQ tests are switched off")
    try:
        with Connection(url, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1, timeout=3)
    except Exception as exc:
        message = f"RabbitMQ is not reachable at TEST_RABBITMQ_URL ({exc!r})"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[tuple[Celery, str]]:
    """A client app on RabbitMQ and the name of a queue of this test's own, deleted at the end."""
    url = _broker_url()
    queue = f"tta-test-{uuid.uuid4().hex}"
    client = Celery("tta-broker-test", broker=url, set_as_current=False)
    client.conf.broker_transport_options = {"confirm_publish": True}
    try:
        yield client, queue
    finally:
        with client.connection_for_write() as connection:
            declared = Queue(queue, Exchange(queue, "direct"), routing_key=queue)
            declared(connection.default_channel).delete()
            declared.exchange(connection.default_channel).delete()
        client.close()


class Worker:
    """`celery worker` on the test queue, one pool process, in a process group of its own."""

    def __init__(self, *, name: str, url: str, queue: str, log: Path) -> None:
        self.node = f"{name}@{os.uname().nodename}"
        self.log = log
        env = {**os.environ, "CELERY_BROKER_URL": url, "DEBUG": "true", "LOG_LEVEL": "INFO"}
        command = [
            *(sys.executable, "-m", "celery", "--workdir", str(BACKEND_DIR), "-A", "config"),
            *("worker", "--pool=prefork", "--concurrency=1", f"--queues={queue}"),
            *(f"--hostname={self.node}", "--without-mingle", "--without-gossip"),
        ]
        with log.open("wb") as out:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        """SIGKILL to the worker and its pool process: a container or machine that is gone."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@pytest.fixture
def workers(broker: tuple[Celery, str], tmp_path: Path) -> Iterator[dict[str, Worker]]:
    """Two workers on the test queue, each answering a ping (so consuming); killed at the end."""
    client, queue = broker
    url = client.conf.broker_url
    started = [
        Worker(name=f"w{n}-{queue[-8:]}", url=url, queue=queue, log=tmp_path / f"w{n}.log")
        for n in (1, 2)
    ]
    try:
        nodes = {worker.node for worker in started}
        answered: set[str] = set()

        def all_answer() -> bool:
            for worker in started:
                assert worker.process.poll() is None, f"{worker.node} exited:\n{worker.tail()}"
            for reply in client.control.ping(destination=sorted(nodes), timeout=1):
                answered.update(reply)
            return answered == nodes

        wait_for(all_answer, timeout=START_TIMEOUT_SECONDS, what="both workers to answer a ping")
        yield {worker.node: worker for worker in started}
    finally:
        for worker in started:
            worker.kill()


def markers(directory: Path, kind: str) -> dict[str, int]:
    """`{node: pid}` of the `started` or `done` markers of testing.block_first_run."""
    return {
        path.name.removeprefix(f"{kind}."): int(path.read_text() or 0)
        for path in directory.glob(f"{kind}.*")
        if path.read_text()
    }


@pytest.mark.parametrize("killed", ["worker", "pool process"])
def test_a_task_whose_worker_is_killed_mid_task_runs_again_at_once(
    broker: tuple[Celery, str], workers: dict[str, Worker], tmp_path: Path, killed: str
) -> None:
    client, queue = broker
    runs = tmp_path / "runs"
    runs.mkdir()

    client.send_task("testing.block_first_run", args=[str(runs)], queue=queue)
    wait_for(lambda: markers(runs, "started"), timeout=REDELIVERY_TIMEOUT_SECONDS, what="a start")
    [(first_node, pool_pid)] = markers(runs, "started").items()
    first = workers[first_node]
    if killed == "worker":
        # The OOM killer taking the container, a lost machine: the connection closes.
        first.kill()
    else:
        # The OOM killer taking the pool process only: its parent rejects the message.
        os.kill(pool_pid, signal.SIGKILL)

    def done() -> bool:
        return bool(markers(runs, "done"))

    try:
        wait_for(done, timeout=REDELIVERY_TIMEOUT_SECONDS, what="the task to run again")
    except pytest.fail.Exception:
        logs = "\n".join(f"--- {node}\n{worker.tail()}" for node, worker in workers.items())
        pytest.fail(f"the killed task did not run again; worker logs:\n{logs}")

    finished = markers(runs, "done")
    assert len(finished) == 1
    if killed == "worker":
        [other] = set(workers) - {first_node}
        assert set(finished) == {other}
        assert first.process.returncode == -signal.SIGKILL
