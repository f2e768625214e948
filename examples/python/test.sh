#!/usr/bin/env bash
# The Python example's tests: pinned deps into the project .venv (infra/scripts/venv.sh),
# models generated from infra/openapi.json, then pytest against a real kyc-local
# (KYC_LOCAL_BIN, else built with cargo). Prints `python example: N passed, N failed`.
# Usage: examples/python/test.sh [pytest args]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
"$ROOT/infra/scripts/venv.sh" >/dev/null
"$HERE/generate.sh"
cd "$HERE"
status=0
"$ROOT/.venv/bin/python" -m pytest -q -p no:cacheprovider --junitxml="$ROOT/.tmp/python-example.xml" tests "$@" || status=$?
"$ROOT/.venv/bin/python" - "$ROOT/.tmp/python-example.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
suite = ET.parse(sys.argv[1]).getroot()
suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
total, failed = int(suite.get("tests")), int(suite.get("failures")) + int(suite.get("errors"))
print(f"python example: {total - failed - int(suite.get('skipped'))} passed, {failed} failed")
PY
exit $status
