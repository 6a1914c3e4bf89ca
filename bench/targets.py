"""Issue 8's targets, judged from one bench.py run (its BENCH_JSON line on stdin).

    python3 bench/targets.py < bench-output.txt      # bench/http_bench.sh pipes it here

Per page (first, deep) and concurrency (1, 8): the uncached service's requests/s against the
DRF baseline's (target >= 2.5x) and its p50 against the floor's (target <= 2.5x), and the cached
service's requests/s against the floor's (target >= 1x). Prints a table; always exits 0 (a
benchmark on a shared 2-core machine reports, the tests assert).
"""

from __future__ import annotations

import json
import sys

TARGETS = (
    # (label, target, reference, metric, bound, at least?)
    ("uncached req/s vs drf", "ninja", "drf", "rps", 2.5, True),
    ("uncached p50 vs floor", "ninja", "floor", "p50_ms", 2.5, False),
    ("cached req/s vs floor", "ninja_cached", "floor", "rps", 1.0, True),
)


def main() -> None:
    lines = [line for line in sys.stdin if line.startswith("BENCH_JSON ")]
    if not lines:
        print("targets: no BENCH_JSON line in the input")
        return
    results = json.loads(lines[-1].removeprefix("BENCH_JSON "))["results"]
    cell = {(r["target"], r["scenario"], r["concurrency"]): r for r in results}
    cells = sorted(
        {(r["scenario"], r["concurrency"]) for r in results},
        key=lambda cell: (cell[1], cell[0] != "first"),
    )
    heads = " | ".join(f"{f'{scenario} c={concurrency}':>12}" for scenario, concurrency in cells)
    print(f"| {'issue 8 target':21} |  bound | {heads} |")
    print("|" + "|".join("-" * width for width in (23, 8, *[14] * len(cells))) + "|")
    for label, target, ref, metric, bound, at_least in TARGETS:
        row = []
        for scenario, concurrency in cells:
            mine = cell.get((target, scenario, concurrency))
            theirs = cell.get((ref, scenario, concurrency))
            if not mine or not theirs or not theirs[metric]:
                row.append("n/a")
                continue
            ratio = mine[metric] / theirs[metric]
            met = ratio >= bound if at_least else ratio <= bound
            row.append(f"{ratio:.2f}x {'met' if met else 'SHORT'}")
        sign = ">=" if at_least else "<="
        print(f"| {label:21} | {sign}{bound:.1f}x | " + " | ".join(f"{v:>12}" for v in row) + " |")


if __name__ == "__main__":
    main()
