"""Webhook answer time over real HTTP against a RUNNING service (loopback only, bounded).

    .venv/bin/python bench/bench_webhooks.py --url http://127.0.0.1:18610 [--count 1000]

Sends `count` distinct, correctly signed `authorization.removed` events one after another on a
keep-alive connection (the secret and client key come from TIKTOK_CLIENT_SECRET and
TIKTOK_CLIENT_KEY, default the demo values), then every 10th one again (duplicates), and
prints p50/p99/max client-side answer times per status. Open ids are unknown to the service
unless --open-id names a connected one, so most events are stored and `ignored`: the path of
signature check, parse, unique insert and dispatch that every delivery takes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "backend"))
from testing.fake_tiktok.webhooks import WEBHOOK_PATH, sign

MAX_COUNT = 20_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="base URL of the service, on 127.0.0.1")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--open-id", default="", help="a connected open id: its event first")
    args = parser.parse_args()
    if urlsplit(args.url).hostname not in {"127.0.0.1", "localhost"}:
        parser.error("--url must point at 127.0.0.1 (loopback only)")
    count = max(1, min(args.count, MAX_COUNT))
    secret = os.environ.get("TIKTOK_CLIENT_SECRET") or "demo-client-secret"
    client_key = os.environ.get("TIKTOK_CLIENT_KEY") or "demo-client-key"
    url = args.url.rstrip("/") + WEBHOOK_PATH
    run = f"bench-{int(time.time())}"
    session = requests.Session()
    timings: dict[str, list[float]] = defaultdict(list)

    def body_of(number: int) -> bytes:
        open_id = args.open_id if number == 0 and args.open_id else f"{run}-{number}"
        event = {
            "client_key": client_key,
            "event": "authorization.removed",
            "create_time": int(time.time()),
            "user_openid": open_id,
            "content": json.dumps({"reason": 1}),
        }
        return json.dumps(event).encode()

    def deliver(body: bytes) -> None:
        started = time.perf_counter()
        answer = session.post(
            url,
            data=body,
            timeout=10,
            headers={
                "Content-Type": "application/json",
                "TikTok-Signature": sign(secret, int(time.time()), body),
            },
        )
        elapsed = (time.perf_counter() - started) * 1000
        status = answer.json().get("status") if answer.status_code == 200 else answer.status_code
        timings[str(status)].append(elapsed)

    bodies = [body_of(number) for number in range(count)]
    for body in bodies:
        deliver(body)
    for body in bodies[::10]:
        deliver(body)
    print(f"{count} deliveries + {len(bodies[::10])} redeliveries to {url}")
    every = [ms for values in timings.values() for ms in values]
    rows = [("all", every), *sorted(timings.items())]
    print(f"{'answer':12} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, values in rows:
        ordered = sorted(values)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        print(
            f"{name:12} {len(values):>6} {statistics.median(ordered):>8.2f} "
            f"{p99:>8.2f} {ordered[-1]:>8.2f}"
        )


if __name__ == "__main__":
    main()
