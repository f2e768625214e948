#!/usr/bin/env bash
# Generates the API's models and operations (package `kyc_api`, gitignored) from the
# exact contract infra/openapi.json with openapi-python-client (pinned in
# infra/requirements-test.txt), so they never drift from it. Regenerated only when the
# document changes. Usage: examples/python/generate.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DOC="$ROOT/infra/openapi.json"
OUT="$HERE/kyc_api"
want="$(sha256sum "$DOC" | cut -d' ' -f1)"
if [[ -f "$OUT/.openapi.sha256" && "$(cat "$OUT/.openapi.sha256")" == "$want" ]]; then
    exit 0
fi
rm -rf "$OUT"
# Its only notes here are that ruff (its optional formatter) is not installed.
if ! log="$("$ROOT/.venv/bin/openapi-python-client" generate --path "$DOC" --output-path "$OUT" \
    --meta none --overwrite 2>&1)"; then
    echo "$log" >&2
    exit 1
fi
echo "$want" > "$OUT/.openapi.sha256"
