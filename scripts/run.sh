#!/usr/bin/env bash
# `make run`: migrate, create the demo user, start the fake TikTok upstream when no TikTok
# upstream is configured (demo mode), start one Celery worker and beat, then serve with
# runserver on http://$HOST:$PORT.
# Every variable of .env.example is honoured: this script only fills in what is unset.
#
# Long-running processes are started with `start_bg NAME COMMAND...` (one line each), each in a
# process group of its own. One trap stops them all (SIGTERM to every group, SIGKILL after 5 s)
# whatever ends this script: Ctrl-C, SIGTERM (what make passes on), SIGHUP (terminal closed),
# one of them exiting, or the parent (make) disappearing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=.venv/bin/python
if [[ ! -x "$PY" ]]; then
    echo "error: $PY is missing; run 'make run' (it creates the virtualenv)." >&2
    exit 1
fi

export DEBUG="${DEBUG:-true}"
# /metrics answers only with this token (docs/operations.md#metrics): a development one.
export METRICS_TOKEN="${METRICS_TOKEN:-dev-metrics-token}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
FAKE_PORT="${FAKE_TIKTOK_PORT:-8001}"

port_open() {  # port_open PORT: exit 0 when something accepts TCP connections on 127.0.0.1:PORT
    "$PY" -c 'import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5).close()
except OSError:
    sys.exit(1)' "$1"
}

# --- Background processes ---------------------------------------------------------------
BG_NAMES=()
BG_PIDS=()
BG_LAST_PID=""
STOP_GRACE_S=5

start_bg() {  # start_bg NAME COMMAND...: run COMMAND in the background, in its own process group
    local name="$1"
    shift
    # Job control gives the job a process group of its own (portable, unlike setsid): stopping
    # the group stops the children it starts too (runserver's autoreloader runs the server in
    # one), and a terminal's Ctrl-C reaches this script only, which then stops them all.
    # stdin from /dev/null: a background group touching the terminal would be stopped.
    set -m
    "$@" </dev/null &
    BG_LAST_PID=$!
    set +m
    BG_PIDS+=("$BG_LAST_PID")
    BG_NAMES+=("$name")
}

groups_alive() {  # exit 0 while any process of any started group is left
    local pid
    for pid in "${BG_PIDS[@]}"; do
        kill -0 -- "-$pid" 2>/dev/null && return 0
    done
    return 1
}

stop_all() {
    set +e
    trap '' INT TERM HUP  # a second Ctrl-C must not cut the clean-up short
    ((${#BG_PIDS[@]})) || return 0
    local pid
    for pid in "${BG_PIDS[@]}"; do
        kill -TERM -- "-$pid" 2>/dev/null
    done
    for _ in $(seq 1 $((STOP_GRACE_S * 10))); do
        groups_alive || break
        sleep 0.1
    done
    for pid in "${BG_PIDS[@]}"; do
        kill -KILL -- "-$pid" 2>/dev/null
    done
    wait 2>/dev/null
}

# supervise: return (1) when a started process exits or the parent (make) goes away. Signals
# interrupt `wait` at once, so the traps run immediately (a foreground child delayed them).
supervise() {
    local parent="$PPID" i
    while true; do
        for i in "${!BG_PIDS[@]}"; do
            if ! kill -0 "${BG_PIDS[$i]}" 2>/dev/null; then
                echo "${BG_NAMES[$i]} exited: stopping everything." >&2
                return 1
            fi
        done
        if ! kill -0 "$parent" 2>/dev/null; then
            echo "parent process $parent is gone: stopping everything." >&2
            return 1
        fi
        sleep 1 &
        wait $! || true
    done
}

trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

"$PY" manage.py migrate --noinput
"$PY" scripts/ensure_demo_user.py

SHOWN_HOST="$HOST"
[[ "$HOST" == "0.0.0.0" || "$HOST" == "::" ]] && SHOWN_HOST="127.0.0.1"
BASE_URL="http://$SHOWN_HOST:$PORT"

# Demo mode: nothing says where TikTok is, so talk to the project's own fake upstream.
if [[ -z "${TIKTOK_API_BASE_URL:-}" && -z "${TIKTOK_CLIENT_KEY:-}" ]]; then
    if port_open "$FAKE_PORT"; then
        echo "error: port $FAKE_PORT (fake TikTok upstream) is already in use;" \
            "stop what runs there or set FAKE_TIKTOK_PORT." >&2
        exit 1
    fi
    start_bg "fake TikTok" "$PY" manage.py run_fake_tiktok --port "$FAKE_PORT" --service-url "$BASE_URL"
    for _ in $(seq 1 100); do
        if ! kill -0 "$BG_LAST_PID" 2>/dev/null; then
            echo "error: the fake TikTok upstream exited on start (see its output above)." >&2
            exit 1
        fi
        port_open "$FAKE_PORT" && break
        sleep 0.1
    done
    if ! port_open "$FAKE_PORT"; then
        echo "error: the fake TikTok upstream did not listen on port $FAKE_PORT within 10 s." >&2
        exit 1
    fi
    FAKE_URL="http://127.0.0.1:$FAKE_PORT"
    export TIKTOK_API_BASE_URL="$FAKE_URL"
    export TIKTOK_AUTHORIZE_URL="${TIKTOK_AUTHORIZE_URL:-$FAKE_URL/v2/auth/authorize/}"
    export TIKTOK_REDIRECT_URI="${TIKTOK_REDIRECT_URI:-$FAKE_URL/demo/callback}"
    MODE="demo mode: fake TikTok upstream on $FAKE_URL"
else
    MODE="TikTok upstream: ${TIKTOK_API_BASE_URL:-https://open.tiktokapis.com (default)}"
fi

cat <<EOF

  TikTok accounts service ($MODE)
    API docs   $BASE_URL/api/docs
    OpenAPI    $BASE_URL/api/openapi.json
    Admin      $BASE_URL/admin/   (log in as the demo user printed above)
    Health     $BASE_URL/api/health
    Metrics    $BASE_URL/metrics   (Authorization: Bearer $METRICS_TOKEN)
  Stop with Ctrl-C (or SIGTERM/SIGHUP): every process started here stops.

EOF

# Two Celery workers (tasks; outbound webhooks) and the beat scheduler beside the server (embedded broker under DATA_DIR
# unless CELERY_BROKER_URL or REDIS_URL names one); stopped with everything else.
start_bg "celery-worker" .venv/bin/celery --workdir backend -A config worker --concurrency 2 --loglevel INFO
# Outbound webhook deliveries: their own queue and worker, so a slow endpoint delays nothing else.
start_bg "celery-webhooks" .venv/bin/celery --workdir backend -A config worker -Q webhooks --concurrency 2 --hostname "webhooks@%h" --loglevel INFO
start_bg "celery-beat" .venv/bin/celery --workdir backend -A config beat --loglevel INFO
start_bg "runserver" "$PY" manage.py runserver "$HOST:$PORT"
supervise
