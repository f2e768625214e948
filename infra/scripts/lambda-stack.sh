#!/usr/bin/env bash
# The deployed shape on one machine, with no AWS account: starts a moto server of its
# own, builds every function template.yaml deploys (the same crates, this machine's
# architecture, the test profile) and the stack binary, then runs
# `kyc-lambda-stack`, which creates the template's resources in moto, runs each
# function's bootstrap under a Lambda Runtime API and answers on 127.0.0.1:PORT as API
# Gateway would (see README, "The Lambda stack on moto").
#
# Usage: infra/scripts/lambda-stack.sh --port PORT
#   Reads the variables kyc-local reads (KYC_API_KEYS, KYC_FOLLOW_UP_AFTER,
#   KYC_FOLLOW_UP_INTERVAL, KYC_WEBHOOK_RETRY_SCHEDULE, KYC_SUMSUB_*, KYC_VERIFIER
#   (default none), AWS_ENDPOINT_URL_TEXTRACT / _REKOGNITION) and
#   KYC_ALLOW_LOOPBACK_WEBHOOKS=1 (tests only: webhooks to loopback http:// endpoints).
#   LAMBDA_STACK_NO_BUILD=1 skips the build (the caller built the binaries);
#   LAMBDA_STACK_STOP_ON_EOF=1 stops the stack when its stdin closes (tests);
#   LAMBDA_STACK_RECORD_CALLS=FILE records every AWS call the functions make (below).
#   Binaries come from $CARGO_TARGET_DIR/debug (default ./target/debug).
# SIGTERM (or Ctrl-C) stops the stack, its functions and its moto.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PORT=3000
while [[ $# -gt 0 ]]; do
    case "$1" in
        --port) PORT="$2"; shift 2 ;;
        --port=*) PORT="${1#--port=}"; shift ;;
        *) echo "usage: $0 --port PORT" >&2; exit 2 ;;
    esac
done

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
PYTHON="$ROOT/.venv/bin/python"
[[ -x "$PYTHON" ]] || infra/scripts/venv.sh >&2

if [[ "${LAMBDA_STACK_NO_BUILD:-0}" != "1" ]]; then
    # Every binary the template names (Metadata.BuildProperties.Binary), and the stack.
    packages=(-p kyc-lambda-stack)
    while read -r binary; do
        packages+=(-p "$binary")
    done < <(grep -E '^\s+Binary:' template.yaml | awk '{print $2}')
    cargo build "${packages[@]}" >&2
fi

# A moto of the stack's own (infra/scripts/moto.sh, its state under .tmp/lambda-stack-PID).
export MOTO_STATE_DIR="$ROOT/.tmp/lambda-stack-$$"
MOTO_STARTED=""
STACK_PID=""
stop() {
    [[ -n "$STACK_PID" ]] && kill "$STACK_PID" 2>/dev/null && wait "$STACK_PID" 2>/dev/null
    [[ -n "$MOTO_STARTED" ]] && infra/scripts/moto.sh stop && rm -rf "$MOTO_STATE_DIR"
    return 0
}
trap 'stop; exit 0' TERM INT
trap stop EXIT

MOTO_STARTED=1
# LAMBDA_STACK_RECORD_CALLS=FILE: moto records every AWS request into FILE (JSON lines),
# each signed with the calling function's access key id (its logical id), for
# infra/scripts/check-iam.py.
if [[ -n "${LAMBDA_STACK_RECORD_CALLS:-}" ]]; then
    export MOTO_ENABLE_RECORDING=1 MOTO_RECORDER_FILEPATH="$LAMBDA_STACK_RECORD_CALLS"
fi
infra/scripts/moto.sh start
MOTO_URL="$(cat "$MOTO_STATE_DIR/moto.url")"

# Our stdin goes to the stack (a background job would get /dev/null): with
# LAMBDA_STACK_STOP_ON_EOF=1 the stack stops when whoever started us goes away.
exec 3<&0
"$TARGET/debug/kyc-lambda-stack" --port "$PORT" --moto "$MOTO_URL" --template template.yaml \
    --bin-dir "$TARGET/debug" <&3 &
STACK_PID=$!
wait "$STACK_PID"
