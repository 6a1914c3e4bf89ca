"""Per-request cost of HttpMetricsMiddleware, in process: the middleware around a view that
does nothing, against the same view bare (docs/performance.md). Not a test: a measurement.

    .venv/bin/python bench/bench_metrics_middleware.py [--requests 20000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.http import HttpResponse  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.urls import resolve  # noqa: E402

from apps.core.middleware import HttpMetricsMiddleware  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    request = RequestFactory().get("/api/accounts/8c7a0b52-7bd4-4a55-9f7d-3d3b8f3e1c11")
    request.resolver_match = resolve(request.path_info)
    answer = HttpResponse(b"{}")

    def view(_request: object) -> HttpResponse:
        return answer

    wrapped = HttpMetricsMiddleware(view)
    for handler in (view, wrapped):
        handler(request)  # warm: the label children exist, the route template is cached
    per_request = {}
    for name, handler in (("bare", view), ("metrics", wrapped)):
        rounds = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            for _ in range(args.requests):
                handler(request)
            rounds.append((time.perf_counter() - started) / args.requests * 1e6)
        per_request[name] = statistics.median(rounds)
    mode = "multiprocess" if os.environ.get("PROMETHEUS_MULTIPROC_DIR") else "single-process"
    print(f"{args.requests} requests x {args.rounds} rounds, {mode} mode (median of rounds)")
    print(f"  bare view          {per_request['bare']:7.2f} us/request")
    print(f"  with the metrics   {per_request['metrics']:7.2f} us/request")
    print(f"  overhead           {per_request['metrics'] - per_request['bare']:7.2f} us/request")


if __name__ == "__main__":
    main()
