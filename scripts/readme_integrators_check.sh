#!/usr/bin/env bash
# Runs the commands of README.md's "For integrators" section, as written, against a running
# service started the way that section says:
#   OUTBOUND_WEBHOOKS_ALLOW_HTTP=true OUTBOUND_WEBHOOKS_ALLOW_PRIVATE=true make run
#   bash scripts/readme_integrators_check.sh [BASE_URL (http://127.0.0.1:8000)] [RECEIVER_PORT (9000)]
# It logs in as the demo user (the walkthrough's ACCESS), runs the section's curl lines (the
# endpoint's <id> filled in), runs its receiver with the endpoint's secret, and shows what the
# receiver printed, the delivery log, a redelivery and a forged request refused (400).
# Each run registers an endpoint and uses 3 of the RATE_LIMIT_MANAGE calls a minute.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON_BIN:-$ROOT/.venv/bin/python}"
BASE="${1:-http://127.0.0.1:8000}"
RPORT="${2:-9000}"
WORK="$(mktemp -d)"
section=$(sed -n '/^## For integrators/,/^## What you see/p' "$ROOT/README.md")
commands=$(sed -n '/^```bash/,/^```$/p' <<<"$section" | sed '1d;$d' | sed "s/9000/$RPORT/g")
sed -n '/^```python/,/^```$/p' <<<"$section" | sed '1d;$d' | sed "s/9000/$RPORT/g" \
    >"$WORK/receiver.py"
before=$(sed '/^# Start the receiver/,$d' <<<"$commands")
after=$(sed -n '/^# Start the receiver/,$p' <<<"$commands")

API=$BASE/api
ACCESS=$(curl -s -X POST "$API/auth/token" -H 'Content-Type: application/json' \
    -d '{"username": "demo", "password": "demo-password-2024"}' \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["access"])')

echo "== key, a call with it, an endpoint"
eval "$before" >"$WORK/out"
cat "$WORK/out"
echo
read -r ID SECRET < <(python3 -c '
import json, sys
text, docs, i = open(sys.argv[1]).read(), [], 0
while i < len(text):
    doc, i = json.JSONDecoder().raw_decode(text, i)
    docs.append(doc)
print(docs[-1]["id"], docs[-1]["secret"])' "$WORK/out")

"$PY" "$WORK/receiver.py" "$SECRET" >"$WORK/received" 2>/dev/null &
RECEIVER=$!
trap 'kill $RECEIVER 2>/dev/null; rm -rf "$WORK"' EXIT
sleep 1
after=${after//<id>/$ID}
echo "== test ping"
eval "$(sed '$d' <<<"$after")"
echo
for _ in $(seq 1 50); do [[ -s "$WORK/received" ]] && break; sleep 0.2; done
sleep 1
echo "== the receiver printed (webhook-id, type, data)"
cat "$WORK/received"
echo "== the delivery log"
eval "$(tail -1 <<<"$after")"
echo
DELIVERY=$(curl -s "$API/webhook-endpoints/$ID/deliveries?status=succeeded" \
    -H "Authorization: Bearer $KEY" | python3 -c 'import json, sys; print(json.load(sys.stdin)["items"][0]["id"])')
echo "== redeliver $DELIVERY"
curl -s -w ' %{http_code}\n' -X POST "$API/webhook-deliveries/$DELIVERY/redeliver" \
    -H "Authorization: Bearer $KEY"
sleep 2
echo "== the receiver printed (the same webhook-id twice)"
cat "$WORK/received"
echo "== a forged request (expect 400)"
curl -s -o /dev/null -w '%{http_code}\n' -X POST "http://127.0.0.1:$RPORT/hook" \
    -H 'webhook-id: msg_forged' -H "webhook-timestamp: $(date +%s)" \
    -H 'webhook-signature: v1,AAAA' -d '{}'
