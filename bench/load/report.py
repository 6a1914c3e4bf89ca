"""Prints the load test's table from wrk's JSON lines (bench/load/route.lua) and judges it.

    report.py RUN_DIR FAKE_STATS RSS_BEFORE RSS_AFTER DURATION CONNECTIONS WORKERS THREADS LATENCY

Exit 1 on any non-2xx answer or socket error, a route that served nothing, or a gunicorn
worker whose RSS grew by more than 10% from after the warm-up (its own, or the warmest
worker's when that is higher) to the end of the run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

MAX_RSS_GROWTH = 0.10


def rss(spec: str) -> dict[str, int]:
    """{pid: rss_kb} from "pid:rss pid:rss"."""
    return {pid: int(kb) for pid, kb in (item.split(":") for item in spec.split())}


def main() -> int:
    run, fake_stats, before, after = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    duration, connections, workers, threads, latency = sys.argv[5:10]
    problems = []
    rows = []
    for out in sorted(run.glob("*.out")):
        route = out.stem
        lines = [line for line in out.read_text().splitlines() if line.startswith("{")]
        if not lines:
            problems.append(f"{route}: wrk printed no result: {(run / f'{route}.err').read_text()}")
            continue
        rows.append((route, (run / f"{route}.conns").read_text().strip(), json.loads(lines[-1])))
    print(
        f"load: {duration} s, {connections} connections, gunicorn gthread {workers} workers x "
        f"{threads} threads, PostgreSQL + Redis, TikTok (fake) at {latency} ms"
    )
    header = f"{'route':<14}{'conns':>6}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
    print(header + f"{'max ms':>9}{'non-2xx':>9}{'sock err':>9}")
    total = total_rate = 0.0
    for route, conns, r in rows:
        rate = r["requests"] / (r["duration_us"] / 1e6)
        total, total_rate = total + r["requests"], total_rate + rate
        print(
            f"{route:<14}{conns:>6}{r['requests']:>10}{rate:>9.1f}{r['p50_us'] / 1000:>9.1f}"
            f"{r['p99_us'] / 1000:>9.1f}{r['max_us'] / 1000:>9.1f}{r['non2xx']:>9}"
            f"{r['socket_errors']:>9}"
        )
        if r["non2xx"] or r["socket_errors"]:
            problems.append(f"{route}: {r['non2xx']} non-2xx, {r['socket_errors']} socket errors")
            problems.append(f"  first answers: {(run / f'{route}.err').read_text()[:600]}")
        if not r["requests"]:
            problems.append(f"{route}: no request completed")
    print(f"{'total':<14}{connections:>6}{int(total):>10}{total_rate:>9.1f}")
    stats = json.loads(Path(fake_stats).read_text())
    print(
        f"fake TikTok: {sum(stats['counts'].values())} calls "
        f"({', '.join(f'{k} {v}' for k, v in stats['counts'].items() if v)}), "
        f"max {stats['max_in_flight']} in flight"
    )
    rss_before, rss_after = rss(before), rss(after)
    # The kernel hands connections to workers unevenly: in a short warm-up on a busy machine one
    # worker may not yet have served the large answers (a year of history) its sibling has. The
    # warmest worker shows the steady state the same code reaches, so growth is judged from it
    # too; a leak still grows every worker past it.
    steady = max(rss_before.values(), default=0)
    for pid, kb in rss_before.items():
        grown = rss_after.get(pid)
        if grown is None:
            problems.append(f"gunicorn worker {pid} is gone (restarted?)")
            continue
        growth = grown / max(kb, steady) - 1
        print(
            f"worker {pid} RSS: {kb / 1024:.0f} MB after warm-up (warmest worker "
            f"{steady / 1024:.0f} MB), {grown / 1024:.0f} MB after the run ({growth:+.1%})"
        )
        if growth > MAX_RSS_GROWTH:
            problems.append(f"worker {pid} RSS grew {growth:.1%} (> {MAX_RSS_GROWTH:.0%})")
    for problem in problems:
        print(f"FAIL {problem}")
    print("FAIL" if problems else "ok   0 errors, RSS within 10%")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
