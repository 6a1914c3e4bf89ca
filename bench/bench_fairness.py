"""Fair use of the TikTok budget: a 20-account sync-all beside a 100,000-account one (issue 23).

    .venv/bin/python bench/bench_fairness.py                 # a few seconds
    .venv/bin/python bench/bench_fairness.py --limit 600     # the production budget's shape

A simulation on a virtual clock, not a timed test: the budget's decisions are the real code
(integrations.tiktok.budget_window.FairWindow, the rule the Redis script runs too, with
TIKTOK_INTERACTIVE_SHARE's background limit as budget.py computes it); around it, the
workers as apps.jobs runs them: WORKERS worker processes, each job handing out at most
CHUNKS_IN_FLIGHT work messages, a free message taking a chunk of the job with the fewest
running (services._fair_next_chunk), a chunk's accounts synced by BATCH_SYNC_MAX_WORKERS
threads, each call to TikTok taking LATENCY seconds, a refused caller sleeping as
budget.budget_take does. The big job starts first; the small one once the window is saturated.

Prints the small job's time alone and beside the big job, and the window's use while work
waits: calls held in the sliding window, averaged over each second of the run, over what
background work may use (the whole budget less the interactive share) and over the budget.
"""

from __future__ import annotations

import argparse
import bisect
import heapq
import math
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "backend"))

from integrations.tiktok.budget_window import FairWindow

WINDOW = 61.0  # budget.COUNTED_WINDOW_SECONDS
MAX_SLEEP = 1.0  # budget.MAX_SLEEP_SECONDS
CHUNK_SIZE, CHUNKS_IN_FLIGHT, THREADS, WORKERS, LATENCY = 50, 4, 10, 8, 0.2


@dataclass
class Job:
    name: str
    accounts: int
    started: float
    chunks: list[int] = field(default_factory=list)  # sizes of chunks not yet handed out
    running: int = 0
    done: int = 0
    finished: float | None = None

    def __post_init__(self) -> None:
        sizes, left = [], self.accounts
        while left > 0:
            sizes.append(min(CHUNK_SIZE, left))
            left -= CHUNK_SIZE
        self.chunks = sizes


class Simulation:
    def __init__(self, *, limit: int, share: float, seed: int = 7) -> None:
        self.window = FairWindow(window=WINDOW)
        self.background_limit = max(1, math.floor(limit * (1 - share)))
        self.limit = limit
        self.events: list[tuple[float, int, object]] = []
        self.sequence = 0
        self.jobs: list[Job] = []
        self.free_workers = WORKERS
        self.random = random.Random(seed)
        self.taken: list[float] = []  # when each call was counted, in order
        self.first_wait = math.inf  # when work first waited for budget

    def at(self, when: float, action: object) -> None:
        self.sequence += 1
        heapq.heappush(self.events, (when, self.sequence, action))

    def start(self, job: Job) -> None:
        self.jobs.append(job)
        self.at(job.started, ("dispatch",))

    def dispatch(self, now: float) -> None:
        """Free workers take chunks of the job with the fewest running (oldest first)."""
        while self.free_workers:
            ready = [
                j
                for j in self.jobs
                if j.started <= now and j.chunks and j.running < CHUNKS_IN_FLIGHT
            ]
            if not ready:
                return
            job = min(ready, key=lambda j: (j.running, j.started))
            size = job.chunks.pop(0)
            job.running += 1
            self.free_workers -= 1
            chunk = {"job": job, "left": size, "busy": min(THREADS, size)}
            for thread in range(chunk["busy"]):
                self.sequence += 1
                self.at(now, ("ask", chunk, f"{job.name}:{self.sequence}:{thread}"))

    def ask(self, now: float, chunk: dict, caller: str) -> None:
        job: Job = chunk["job"]
        wait = self.window.take(now=now, limit=self.background_limit, party=job.name, caller=caller)
        if wait > 0:
            self.first_wait = min(self.first_wait, now)
            retry = now + min(wait, MAX_SLEEP) + self.random.uniform(0, 0.05)
            self.at(retry, ("ask", chunk, caller))
            return
        chunk["left"] -= 1
        self.taken.append(now)
        self.at(now + LATENCY, ("answer", chunk, caller))

    def answer(self, now: float, chunk: dict, caller: str) -> None:
        job: Job = chunk["job"]
        job.done += 1
        if job.done == job.accounts:
            job.finished = now
        if chunk["left"] > 0:
            self.ask(now, chunk, caller)
            return
        chunk["busy"] -= 1
        if chunk["busy"] == 0:
            job.running -= 1
            self.free_workers += 1
            self.dispatch(now)

    def run(self, until: float, *, stop_when: Job | None = None) -> None:
        while self.events:
            now, _, action = heapq.heappop(self.events)
            if now > until or (stop_when is not None and stop_when.finished is not None):
                return
            kind, *rest = action
            if kind == "dispatch":
                self.dispatch(now)
            elif kind == "ask":
                self.ask(now, *rest)
            else:
                self.answer(now, *rest)

    def use(self, start: float, end: float) -> float:
        """Calls in the window, averaged over [start, end): each call holds a slot for WINDOW."""
        first = bisect.bisect_right(self.taken, start - WINDOW)
        held = sum(
            max(0.0, min(at + WINDOW, end) - max(at, start))
            for at in self.taken[first : bisect.bisect_left(self.taken, end)]
        )
        return held / (end - start)


def alone(limit: int, share: float, accounts: int) -> float:
    sim = Simulation(limit=limit, share=share)
    job = Job("workspace:small", accounts, started=0.0)
    sim.start(job)
    sim.run(until=24 * 3600, stop_when=job)
    return job.finished


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=20, help="TIKTOK_REQUESTS_PER_MINUTE")
    parser.add_argument("--share", type=float, default=0.2, help="TIKTOK_INTERACTIVE_SHARE")
    parser.add_argument("--small", type=int, default=20)
    parser.add_argument("--big", type=int, default=100_000)
    args = parser.parse_args()

    small_alone = alone(args.limit, args.share, args.small)
    sim = Simulation(limit=args.limit, share=args.share)
    big = Job("workspace:big", args.big, started=0.0)
    small_start = 3 * WINDOW  # the window long saturated by the big job
    small = Job("workspace:small", args.small, started=small_start)
    sim.start(big)
    sim.start(small)
    end = small_start + 10 * WINDOW
    sim.run(until=end)
    beside = small.finished - small_start

    cap = sim.background_limit
    # Each second from the first refusal on (the big job's work waits from then to the end),
    # the calls held in the window.
    start = math.ceil(sim.first_wait)
    held = [sim.use(second, second + 1) for second in range(start, int(end) - 1)]
    use = [calls / cap for calls in held]
    tens = [sum(use[i : i + 10]) / 10 for i in range(0, len(use) - 9, 10)]
    mean = sum(use) / len(use)
    print(
        f"budget {args.limit}/min, interactive share {args.share}: background limit {cap} "
        f"calls per {WINDOW:.0f} s; {WORKERS} worker processes, {CHUNKS_IN_FLIGHT} chunks in "
        f"flight per job, {THREADS} threads per chunk, {LATENCY * 1000:.0f} ms per call"
    )
    print("| measure | value | target | judged |")
    print("|---|---|---|---|")
    ratio = beside / small_alone
    print(
        f"| small job ({args.small} accounts) alone | {small_alone:.1f} s | | |\n"
        f"| small job beside the big one ({args.big:,}) | {beside:.1f} s | | |\n"
        f"| ratio | {ratio:.2f}x | <= 2x | {'met' if ratio <= 2 else 'SHORT'} |\n"
        f"| window use while work waits, whole run (of the background limit) "
        f"| {mean:.1%} | >= 90% | {'met' if mean >= 0.9 else 'SHORT'} |\n"
        f"| window use while work waits, worst 10 s | {min(tens):.0%} | >= 90% "
        f"| {'met' if min(tens) >= 0.9 else 'SHORT'} |\n"
        f"| window use while work waits, worst second | {min(use):.0%} | | |\n"
        f"| window use, max (of the background limit) | {max(use):.0%} | <= 100% "
        f"| {'met' if max(use) <= 1 else 'SHORT'} |\n"
        f"| window use, max (of the whole budget) | {max(held) / args.limit:.0%} | <= 100% "
        f"| {'met' if max(held) <= args.limit else 'SHORT'} |\n"
        f"| big job's accounts synced in the run | {big.done:,} | | |"
    )


if __name__ == "__main__":
    main()
