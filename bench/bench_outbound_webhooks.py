"""Outbound webhooks: N events to E local endpoints through one real Celery worker.

Each event is committed in its own transaction in one of E workspaces, each with one endpoint
(a threaded HTTP receiver on loopback, answering 204 at once), so N events make N deliveries.
Prints deliveries per second (first commit -> last receipt) and the p50/p99 from each event's
commit to its receipt, a burst: every event is committed before most are delivered. Runs in
production settings (DEBUG off) unless DEBUG is set. Uses DATABASE_URL / REDIS_URL as they are
set: run it on a throw-away database, e.g.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tta_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
        CACHE_KEY_PREFIX=bench .venv/bin/python bench/bench_outbound_webhooks.py --events 10000
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "backend"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("OUTBOUND_WEBHOOKS_ALLOW_HTTP", "true")
os.environ.setdefault("OUTBOUND_WEBHOOKS_ALLOW_PRIVATE", "true")
# Production settings (the worker inherits them) unless DEBUG is set: DEBUG's query log took a
# fifth of the worker's time. Throw-away secrets, shared by this process and the worker.
if "DEBUG" not in os.environ:
    os.environ["DEBUG"] = "false"
    for name in ("SECRET_KEY", "JWT_SIGNING_KEY", "TIKTOK_CLIENT_KEY", "TIKTOK_CLIENT_SECRET"):
        os.environ.setdefault(name, secrets.token_urlsafe(32))
    os.environ.setdefault("FIELD_ENCRYPTION_KEY", base64.urlsafe_b64encode(os.urandom(32)).decode())

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from apps.audit.services import SYSTEM  # noqa: E402
from apps.events.services import event_emit  # noqa: E402
from apps.outbound_webhooks.services import EndpointDraft, endpoint_create  # noqa: E402
from apps.workspaces.personal import personal_workspace_id  # noqa: E402
from testing.receiver import receiving  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--endpoints", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    assert settings.REDIS_URL, "set REDIS_URL: the worker needs a shared broker"
    call_command("migrate", verbosity=0)
    with ExitStack() as stack:
        receivers = [stack.enter_context(receiving()) for _ in range(args.endpoints)]
        workspaces = []
        for number, receiver in enumerate(receivers):
            user = get_user_model().objects.create_user(f"wh-bench-{os.getpid()}-{number}")
            workspaces.append(personal_workspace_id(user.pk))
            endpoint_create(
                workspace_id=workspaces[-1],
                draft=EndpointDraft(url=receiver.url, events=["*"]),
                meta=SYSTEM,
            )
        worker = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [sys.executable, "-m", "celery", "--workdir", str(ROOT / "backend"), "-A", "config",
             "worker", "-Q", "celery,webhooks", f"--concurrency={args.concurrency}",
             "--without-mingle", "--without-gossip", "--loglevel=WARNING"],
            env={**os.environ, "LOG_LEVEL": "WARNING"},
            start_new_session=True,
        )  # fmt: skip
        try:
            committed: dict[str, float] = {}
            for number in range(args.events):
                with transaction.atomic():
                    event = event_emit(
                        workspace_id=workspaces[number % args.endpoints], type="ping", data={}
                    )
                committed[str(event.id)] = time.time()
            deadline = time.monotonic() + 1800
            while sum(len(r.requests) for r in receivers) < args.events:
                assert time.monotonic() < deadline, "not every delivery arrived in 30 minutes"
                time.sleep(0.2)
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)
    received = {r.headers["webhook-id"]: r.at for receiver in receivers for r in receiver.requests}
    latencies = [received[event_id] - at for event_id, at in committed.items()]
    elapsed = max(received.values()) - min(committed.values())
    print(f"events: {args.events} to {args.endpoints} endpoints, worker -c {args.concurrency}")
    print(f"deliveries/s (first commit -> last receipt): {args.events / elapsed:.0f}")
    print(f"commit -> receipt: p50 {statistics.median(latencies):.2f} s, "
          f"p99 {percentile(latencies, 0.99):.2f} s, duplicates "
          f"{sum(len(r.requests) for r in receivers) - len(received)}")  # fmt: skip


if __name__ == "__main__":
    main()
