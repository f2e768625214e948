#!/usr/bin/env bash
# Create (or refresh) the project virtualenv at <repo>/.venv with the pinned Python
# tooling from infra/requirements-test.txt (moto server, cfn-lint, aws-sam-translator,
# cargo-lambda (+ zig), ...) and the Python example's own pins
# (examples/python/requirements.txt: standardwebhooks, pytest).
#
# Idempotent: reinstalls only when the requirements files' sha256 differs from the one
# recorded in .venv/.requirements.sha256 (or the venv is missing/broken); an existing
# venv is updated in place (pip installs only what it lacks).
#
# Usage: infra/scripts/venv.sh            # prints the venv path on the last line
#        VENV_FORCE=1 infra/scripts/venv.sh   # reinstall regardless
#        PYTHON=python3.11 infra/scripts/venv.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv"
REQ="$ROOT/infra/requirements-test.txt"
EXAMPLE_REQ="$ROOT/examples/python/requirements.txt"
STAMP="$VENV/.requirements.sha256"
PYTHON="${PYTHON:-python3}"

log() { printf 'venv.sh: %s\n' "$*" >&2; }

want="$(cat "$REQ" "$EXAMPLE_REQ" | sha256sum | cut -d' ' -f1)"
have=""
[[ -f "$STAMP" ]] && have="$(cat "$STAMP")"

# A venv whose interpreter no longer runs (python upgraded or removed) is rebuilt.
if [[ -d "$VENV" ]] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    log "existing $VENV is broken; recreating"
    rm -rf "$VENV"
    have=""
fi

if [[ "${VENV_FORCE:-0}" != "1" && "$have" == "$want" ]]; then
    log "up to date ($VENV)"
    echo "$VENV"
    exit 0
fi

start=$SECONDS
if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating $VENV with $("$PYTHON" --version 2>&1)"
    if ! "$PYTHON" -m venv "$VENV"; then
        log "'$PYTHON -m venv' failed; on Debian install it with: apt-get install -y python3-venv"
        rm -rf "$VENV"
        exit 1
    fi
fi

# Drop the stamp first: an interrupted install must not look complete next time.
rm -f "$STAMP"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
log "installing $(cat "$REQ" "$EXAMPLE_REQ" | grep -cEv '^\s*(#|$)') pinned requirements"
"$VENV/bin/python" -m pip install --quiet -r "$REQ" -r "$EXAMPLE_REQ"
echo "$want" > "$STAMP"
log "done in $((SECONDS - start)) s"
echo "$VENV"
