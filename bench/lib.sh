# Shell helpers of the HTTP benchmarks (bench/http_bench.sh, bench/load_test.sh); sourced.
# The caller sets ROOT, PY, PG_URL and LOG_DIR first.

psql_admin() { PGOPTIONS='-c client_min_messages=warning' psql "$PG_URL/postgres" -w -qAt -v ON_ERROR_STOP=1 "$@"; }

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_up() {  # wait_up NAME PID URL: until URL answers; the log $LOG_DIR/NAME.log if NAME died
    for _ in $(seq 1 240); do
        if ! kill -0 "$2" 2>/dev/null; then
            echo "error: $1 exited; its log:" >&2
            cat "$LOG_DIR/$1.log" >&2
            return 1
        fi
        curl -s -o /dev/null --max-time 2 "$3" && return 0
        sleep 0.5
    done
    echo "error: $1 did not answer on $3 within 120 s" >&2
    return 1
}

secret() { "$PY" -c 'import secrets; print(secrets.token_urlsafe(50))'; }

# export_production_env DATABASE REDIS_URL CACHE_PREFIX: the service's production settings
# (DEBUG off, generated secrets, JSON logs, Redis), served over plain HTTP on loopback.
export_production_env() {
    export DEBUG=false SECRET_KEY="$(secret)" JWT_SIGNING_KEY="$(secret)"
    FIELD_ENCRYPTION_KEY="$("$PY" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
    export FIELD_ENCRYPTION_KEY TIKTOK_CLIENT_KEY="bench-$3" TIKTOK_CLIENT_SECRET="bench-secret-$3"
    export DATABASE_URL="$PG_URL/$1" REDIS_URL="$2" CACHE_KEY_PREFIX="$3"
    export ALLOWED_HOSTS=127.0.0.1 LOG_FORMAT=json SECURE_SSL_REDIRECT=false
}

# stop_and_drop REDIS_URL DATABASE...: the EXIT trap of a benchmark. Stops every process in
# PIDS, drops the databases, deletes the Redis keys under BENCH_ID and removes LOG_DIR.
stop_and_drop() {
    set +e
    local redis_url="$1" pid db
    shift
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    for db in "$@"; do
        psql_admin -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
    done
    redis-cli -u "$redis_url" --scan --pattern "$BENCH_ID*" \
        | xargs -r redis-cli -u "$redis_url" DEL >/dev/null
    rm -rf "$LOG_DIR"
}
