#!/usr/bin/env bash
# The spec integrators build on (`make spec`; .ci/run runs it from a clean clone):
#  1. dump the OpenAPI document from the NinjaAPI, no server (ninja's export_openapi_schema);
#  2. lint it with Redocly's recommended rules, every warning an error (../../redocly.yaml);
#  3. generate a TypeScript client from it with openapi-typescript and type-check the frontend
#     calls of src/ with openapi-fetch under `tsc --strict`: a change that breaks them fails.
# The npm tools are installed here, at package-lock.json's exact versions, cache included.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PY="${PYTHON_BIN:-$ROOT/.venv/bin/python}"
cd "$HERE"

if ! command -v npm >/dev/null; then
    echo "FAIL node and npm are required (node >= 20.19)"
    exit 1
fi
export npm_config_cache="$HERE/.npm-cache" npm_config_update_notifier=false
# Again only when package-lock.json changed since the last install (npm ci starts afresh).
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund --loglevel=error
fi

mkdir -p generated
"$PY" "$ROOT/manage.py" export_openapi_schema --api config.api.api --indent 1 \
    --output generated/openapi.json
node_modules/.bin/redocly lint --config "$ROOT/redocly.yaml" --format=stylish generated/openapi.json
# --default-non-nullable=false: a body field with a default (PostIn's mode, EndpointIn's
# description) may be left out, as the document says (it is not in `required`); by default
# openapi-typescript would make the client send it.
node_modules/.bin/openapi-typescript generated/openapi.json --default-non-nullable=false \
    --output generated/schema.d.ts
node_modules/.bin/tsc -p tsconfig.json
echo "ok   the OpenAPI document passes Redocly's lint; src/*.ts type-check against its client"
