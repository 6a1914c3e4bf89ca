"""The README's receiver, run as written (only its port changed): it accepts our deliveries,
prints their webhook-id and type, and refuses one signed with another secret."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from apps.events.models import EventType
from apps.events.services import event_emit
from apps.outbound_webhooks import delivery as sender
from apps.outbound_webhooks.models import Delivery
from testing.factories import personal_workspace
from testing.processes import free_port
from testing.workers import stop, wait_for

pytestmark = pytest.mark.django_db
README = Path(settings.PROJECT_DIR) / "README.md"
README_ADDRESS = '("127.0.0.1", 9000)'


def _snippet(port: int) -> str:
    [code] = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    assert README_ADDRESS in code, "the README's receiver listens elsewhere: update this test"
    return code.replace(README_ADDRESS, f'("127.0.0.1", {port})')


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def readme_receiver(port: int, secret: str, tmp_path: Path) -> Iterator[Path]:
    """The README's receiver on `port` with `secret`; yields the file its output goes to."""
    script, output = tmp_path / "receiver.py", tmp_path / "receiver.out"
    script.write_text(_snippet(port))
    with output.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 (our interpreter, the README's code)
            [sys.executable, str(script), secret],
            stdout=out,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_for(lambda: _listening(port), timeout=20, what="the README's receiver")
            yield output
        finally:
            stop(process)


def test_the_readme_receiver_verifies_a_delivery_and_refuses_a_forged_one(
    user, make_endpoint, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    known, secret = make_endpoint(url)
    make_endpoint(url)  # another secret, which the receiver does not know
    with transaction.atomic():
        event = event_emit(
            workspace_id=personal_workspace(user).id, type=EventType.JOB_FINISHED, data={}
        )
    sender.events_fan_out(event_ids=[str(event.id)])

    with readme_receiver(port, secret, tmp_path) as output:
        outcomes = {
            d.endpoint_id: sender.delivery_attempt(delivery_id=d.id)
            for d in Delivery.objects.filter(event=event)
        }
        wait_for(lambda: output.read_text().strip() != "", timeout=10, what="the printed event")

    assert {key == known.id: o.status_code for key, o in outcomes.items()} == {
        True: 204,
        False: 400,
    }
    assert output.read_text().split(" ", 2)[:2] == [str(event.id), "job.finished"]
