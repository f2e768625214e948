#!/usr/bin/env bash
# The OpenAPI document against the server, from the outside: starts a FRESH kyc-local
# (free port, its own temp data dir, a known API key), then
#   1. schemathesis (pinned in infra/requirements-test.txt) with every check on the
#      document that kyc-local serves at /v1/openapi.json, a bounded budget and a
#      deterministic generator, failing on any finding;
#   2. a Python client generated from the same document (openapi-python-client, into a
#      temp dir) creates a lead, uploads a document to the signed upload URL and reads
#      the audit trail (infra/scripts/generated_client_test.py);
# and stops kyc-local (by its PID) and removes the temp dir, whatever happens.
#
# Usage: infra/scripts/schemathesis.sh [extra schemathesis run options]
#        (after infra/scripts/venv.sh and `cargo build --locked -p kyc-local`; test.sh
#        does both), e.g. `--include-path /v1/leads --include-method POST` to narrow.
# Environment: KYC_LOCAL_BIN (default $CARGO_TARGET_DIR/debug/kyc-local),
#              SCHEMATHESIS_MAX_EXAMPLES (default 30 per operation and phase).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv"
BIN="${KYC_LOCAL_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/kyc-local}"
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-30}"
KEY="sk_test_contract_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"

log() { printf 'schemathesis.sh: %s\n' "$*" >&2; }

[[ -x "$VENV/bin/schemathesis" ]] || { log "no $VENV/bin/schemathesis: run infra/scripts/venv.sh first"; exit 1; }
[[ -x "$BIN" ]] || { log "no kyc-local binary at $BIN: run cargo build --locked -p kyc-local first"; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/kyc-contract.XXXXXX")"
PID=""
stop() {
    if [[ -n "$PID" ]] && kill -0 "$PID" 2>/dev/null; then
        kill "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap stop EXIT

# A fresh kyc-local on a free port (it prints the address it bound).
KYC_API_KEYS="contract:$KEY" RUST_LOG=warn "$BIN" --port 0 --data-dir "$WORK/data" \
    >"$WORK/stdout" 2>"$WORK/stderr" &
PID=$!
URL=""
for _ in $(seq 1 300); do
    URL="$(sed -n 's/^kyc-local listening on //p' "$WORK/stdout" | head -n1)"
    [[ -n "$URL" ]] && break
    kill -0 "$PID" 2>/dev/null || { log "kyc-local exited:"; cat "$WORK/stderr" >&2; exit 1; }
    sleep 0.1
done
[[ -n "$URL" ]] || { log "kyc-local did not report its address"; exit 1; }
"$VENV/bin/python" - "$URL/health" <<'EOF'
import sys, time, urllib.request
for _ in range(100):
    try:
        if urllib.request.urlopen(sys.argv[1], timeout=2).status == 200:
            sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit("kyc-local is not healthy")
EOF
log "kyc-local (pid $PID) at $URL"

start=$SECONDS
# Deterministic generation (schemathesis.toml) makes the run reproducible; the budget is
# capped per operation and phase. Hooks (schemathesis_hooks.py) only give valid
# Idempotency-Keys a run-unique prefix and drop the refusals the document lists under
# `x-state-dependent-refusals`.
status=0
PYTHONPATH="$ROOT/infra/scripts${PYTHONPATH:+:$PYTHONPATH}" \
    "$VENV/bin/schemathesis" --config-file "$ROOT/infra/scripts/schemathesis.toml" --no-color run \
    "$URL/v1/openapi.json" \
    --url "$URL" \
    --header "Authorization: Bearer $KEY" \
    --checks all \
    --max-examples "$MAX_EXAMPLES" \
    --workers 1 \
    --request-timeout 10 \
    --output-sanitize "${SCHEMATHESIS_SANITIZE:-true}" \
    --warnings off \
    "$@" \
    || status=$?
log "schemathesis finished in $((SECONDS - start)) s (exit $status)"
if [[ $status -ne 0 ]]; then
    log "kyc-local's log:"
    tail -n 50 "$WORK/stderr" >&2 || true
    exit "$status"
fi

start=$SECONDS
"$VENV/bin/python" "$ROOT/infra/scripts/generated_client_test.py" \
    --url "$URL" --key "$KEY" --document "$URL/v1/openapi.json" --work "$WORK/client"
log "generated client test finished in $((SECONDS - start)) s"
