#!/usr/bin/env bash
# Load test: gunicorn in production settings on PostgreSQL + Redis under a mix of reads and
# syncs against the fake TikTok at 200 ms, driven by wrk (one process per route class, all at
# once, so each route gets its own latency histogram).
#
#   bash bench/load_test.sh                                  # 60 s at 200 connections
#   bash bench/load_test.sh --duration 10 --connections 50   # CI's version
#   options: --workers N --threads N (gunicorn gthread; default 2 x 16), --latency-ms 200
#
# Fails (exit 1) on any non-2xx answer or socket error, or when a worker's RSS grew by more
# than 10% between the warm-up and the end of the run. Creates its own PostgreSQL database
# and Redis key prefix and removes them, stops everything it started (trap), loopback only.
# Env: PG_URL (postgres://postgres@127.0.0.1:5432), REDIS_URL (redis://127.0.0.1:6379/0),
#      BENCH_ID (database name and cache prefix), BENCH_TIMEOUT (seconds, default 600).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
PY="$ROOT/.venv/bin/python"
DURATION=60 CONNECTIONS=200 WORKERS=2 THREADS=16 LATENCY_MS=200
while (($#)); do
    case "$1" in
        --duration) DURATION="$2" ;;
        --connections) CONNECTIONS="$2" ;;
        --workers) WORKERS="$2" ;;
        --threads) THREADS="$2" ;;
        --latency-ms) LATENCY_MS="$2" ;;
        *) echo "usage: $0 [--duration S] [--connections N] [--workers N] [--threads N] [--latency-ms MS]" >&2; exit 2 ;;
    esac
    shift 2
done
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
LOAD_REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
BENCH_ID="${BENCH_ID:-tta_load_$$}"
LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/tta-load.XXXXXX")"
PIDS=()
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

trap 'stop_and_drop "$LOAD_REDIS_URL" "$BENCH_ID"' EXIT
trap 'exit 130' INT TERM
# The whole run is bounded: seeding, warm-up and the run itself.
( sleep "${BENCH_TIMEOUT:-600}" && echo "error: load test over ${BENCH_TIMEOUT:-600} s" >&2 && kill -TERM $$ ) &
PIDS+=($!)

psql_admin -c "CREATE DATABASE \"$BENCH_ID\""
export_production_env "$BENCH_ID" "$LOAD_REDIS_URL" "$BENCH_ID"
# Out of reach, so the run measures serving rather than 429s: every limit is still checked
# (its Redis round trip is part of each request), only its ceiling is raised.
export RATE_LIMIT_READ=100000000/m RATE_LIMIT_SYNC=100000000/m TIKTOK_REQUESTS_PER_MINUTE=100000000

# The fake TikTok refuses to run with DEBUG off (it hands out tokens): DEBUG for it alone.
fake_port="$(free_port)"
FAKE_URL="http://127.0.0.1:$fake_port"
DEBUG=true "$PY" manage.py run_fake_tiktok --port "$fake_port" >"$LOG_DIR/fake.log" 2>&1 </dev/null &
PIDS+=($!)
wait_up fake "$!" "$FAKE_URL/_fake/stats"
export TIKTOK_API_BASE_URL="$FAKE_URL" TIKTOK_AUTHORIZE_URL="$FAKE_URL/v2/auth/authorize/"

"$PY" manage.py migrate --noinput -v 0
DATA="$LOG_DIR/data"
"$PY" bench/load/seed_load.py --out "$DATA" --fake-url "$FAKE_URL"
curl -sf -X POST -d "{\"seconds\": $(awk "BEGIN {print $LATENCY_MS / 1000}")}" "$FAKE_URL/_fake/latency" >/dev/null

port="$(free_port)"
BASE="http://127.0.0.1:$port"
"$ROOT/.venv/bin/gunicorn" --chdir backend config.wsgi --worker-class gthread \
    --workers "$WORKERS" --threads "$THREADS" --worker-tmp-dir /dev/shm -b "127.0.0.1:$port" \
    --log-level warning >"$LOG_DIR/gunicorn.log" 2>&1 </dev/null &
GUNICORN_PID=$!
PIDS+=("$GUNICORN_PID")
wait_up gunicorn "$GUNICORN_PID" "$BASE/api/health"

# Route classes and their share of the connections (percent; each gets at least one).
ROUTES=(list_cached:25:reader list_uncached:15:reader detail:15:reader summary:10:reader
    history:10:reader videos:10:reader sync:15:syncer)
run_wrk() {  # run_wrk SECONDS CONNECTIONS OUT_DIR: every route class at once
    local seconds="$1" total="$2" out="$3" spec route share who conns
    mkdir -p "$out"
    local wrk_pids=()
    for spec in "${ROUTES[@]}"; do
        IFS=: read -r route share who <<<"$spec"
        conns=$((total * share / 100 > 0 ? total * share / 100 : 1))
        echo "$conns" >"$out/$route.conns"
        wrk -t 1 -c "$conns" -d "${seconds}s" --timeout 10s -s bench/load/route.lua "$BASE" \
            -- "$route" "$(cat "$DATA/$who.token")" "$DATA/${who}_ids" \
            >"$out/$route.out" 2>"$out/$route.err" &
        wrk_pids+=($!)
        PIDS+=($!)  # for the trap: gunicorn's graceful stop would wait on their connections
    done
    local failed=0
    for pid in "${wrk_pids[@]}"; do
        wait "$pid" || failed=1
    done
    return "$failed"
}
worker_rss() {  # "pid:rss_kb" of each gunicorn worker
    ps -o pid=,rss= --ppid "$GUNICORN_PID" | awk '{printf "%s:%s ", $1, $2}'
}

# The warm-up runs every thread through every route (imports, connections, first allocations),
# so that "RSS before" is the steady state and the growth check measures leaks, not start-up.
echo "warm-up: 5 s at $CONNECTIONS connections" >&2
run_wrk 5 "$CONNECTIONS" "$LOG_DIR/warmup" || true
RSS_BEFORE="$(worker_rss)"
curl -sf -X POST "$FAKE_URL/_fake/reset" >/dev/null  # counts from zero (keeps the tokens)
curl -sf -X POST -d "{\"seconds\": $(awk "BEGIN {print $LATENCY_MS / 1000}")}" "$FAKE_URL/_fake/latency" >/dev/null
echo "load: ${DURATION} s at $CONNECTIONS connections, gunicorn gthread $WORKERS x $THREADS, TikTok at $LATENCY_MS ms" >&2
run_wrk "$DURATION" "$CONNECTIONS" "$LOG_DIR/run" || true
RSS_AFTER="$(worker_rss)"
curl -sf "$FAKE_URL/_fake/stats" >"$LOG_DIR/fake_stats.json"

"$PY" bench/load/report.py "$LOG_DIR/run" "$LOG_DIR/fake_stats.json" "$RSS_BEFORE" "$RSS_AFTER" \
    "$DURATION" "$CONNECTIONS" "$WORKERS" "$THREADS" "$LATENCY_MS"
