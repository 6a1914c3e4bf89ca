#!/usr/bin/env bash
# `make run`: migrate, create the demo user, start the fake TikTok upstream when no TikTok
# upstream is configured (demo mode), start one Celery worker and beat, then serve with
# runserver on http://$HOST:$PORT.
# Every variable of .env.example is honoured: this script only fills in what is unset.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=.venv/bin/python
if [[ ! -x "$PY" ]]; then
    echo "error: $PY is missing; run 'make run' (it creates the virtualenv)." >&2
    exit 1
fi

export DEBUG="${DEBUG:-true}"
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

"$PY" manage.py migrate --noinput
"$PY" scripts/ensure_demo_user.py

SHOWN_HOST="$HOST"
[[ "$HOST" == "0.0.0.0" || "$HOST" == "::" ]] && SHOWN_HOST="127.0.0.1"
BASE_URL="http://$SHOWN_HOST:$PORT"

FAKE_PID=""
stop_fake() {
    if [[ -n "$FAKE_PID" ]] && kill -0 "$FAKE_PID" 2>/dev/null; then
        kill "$FAKE_PID" 2>/dev/null || true
        wait "$FAKE_PID" 2>/dev/null || true
    fi
    FAKE_PID=""
}
trap stop_fake EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Demo mode: nothing says where TikTok is, so talk to the project's own fake upstream.
if [[ -z "${TIKTOK_API_BASE_URL:-}" && -z "${TIKTOK_CLIENT_KEY:-}" ]]; then
    if port_open "$FAKE_PORT"; then
        echo "error: port $FAKE_PORT (fake TikTok upstream) is already in use;" \
            "stop what runs there or set FAKE_TIKTOK_PORT." >&2
        exit 1
    fi
    "$PY" manage.py run_fake_tiktok --port "$FAKE_PORT" --service-url "$BASE_URL" &
    FAKE_PID=$!
    for _ in $(seq 1 100); do
        if ! kill -0 "$FAKE_PID" 2>/dev/null; then
            FAKE_PID=""
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
  Stop with Ctrl-C.

EOF

# One Celery worker and the beat scheduler beside the server (embedded broker under DATA_DIR
# unless CELERY_BROKER_URL or REDIS_URL names one); stopped with everything else.
CELERY=(.venv/bin/celery --workdir backend -A config)
"${CELERY[@]}" worker --concurrency 2 --loglevel INFO &
WORKER_PID=$!
"${CELERY[@]}" beat --loglevel INFO &
BEAT_PID=$!
SERVER_PID=""
stop_background() {
    kill $SERVER_PID "$WORKER_PID" "$BEAT_PID" 2>/dev/null || true
    wait $SERVER_PID "$WORKER_PID" "$BEAT_PID" 2>/dev/null || true
    stop_fake
}
trap stop_background EXIT

# In the background and waited for: a SIGTERM to this script then stops everything at once
# (bash runs its traps only between commands, never during a foreground one).
"$PY" manage.py runserver "$HOST:$PORT" &
SERVER_PID=$!
wait "$SERVER_PID"
