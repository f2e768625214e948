#!/usr/bin/env bash
# Runs every test and check of the project, from a fresh clone, with nothing installed
# by hand: the Python tools (moto, cfn-lint, the SAM translator, an OpenAPI validator,
# schemathesis, openapi-python-client) go into ./.venv, Chromium and chromedriver
# (Debian's) and axe-core (npm, into .tmp/node) for the hosted page's browser tests are
# installed when missing (infra/scripts/browser.sh), moto is started on a free
# loopback port for the DynamoDB tests and stopped afterwards, whatever happens. After
# the cargo tests, schemathesis and a client generated from the OpenAPI document run
# against a fresh kyc-local (infra/scripts/schemathesis.sh).
#
# Usage: infra/scripts/test.sh [extra cargo test args]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

echo "==> Python tooling (.venv)"
infra/scripts/venv.sh >/dev/null

echo "==> SAM template: translated offline, then cfn-lint on both forms"
.venv/bin/python infra/scripts/check-template.py

echo "==> OpenAPI document"
.venv/bin/python infra/scripts/check-openapi.py

echo "==> Browser test tools: Debian's chromium and chromium-driver, axe-core (npm)"
infra/scripts/browser.sh

echo "==> moto (AWS-compatible endpoint) on loopback"
infra/scripts/moto.sh start
trap 'infra/scripts/moto.sh stop' EXIT
KYC_TEST_AWS_ENDPOINT="$(cat .tmp/moto.url)"
export KYC_TEST_AWS_ENDPOINT

echo "==> cargo test (workspace)"
# The end-to-end tests start the kyc-local binary as a process, and the Lambda stack's
# tests (tests/tests/lambda_stack.rs) the stack with every function the template
# deploys: build them first.
lambda_packages=(-p kyc-lambda-stack)
while read -r binary; do lambda_packages+=(-p "$binary"); done \
    < <(grep -E '^\s+Binary:' template.yaml | awk '{print $2}')
cargo build --locked -p kyc-local
# The same package set as lambda-stack.sh builds, so that its build finds them fresh.
cargo build --locked "${lambda_packages[@]}"
# The Lambda stack's moto records every AWS call its functions make, for check-iam.py.
rm -f .tmp/stack-calls.jsonl
export LAMBDA_STACK_RECORD_CALLS="$ROOT/.tmp/stack-calls.jsonl"
cargo test --workspace --locked "$@" 2>&1 | tee .tmp/cargo-test.log

echo "==> Least privilege: each function's IAM actions against the AWS calls it made on the stack"
if [[ -s .tmp/stack-calls.jsonl ]]; then
    # With a test filter only some paths ran: only the calls can be held against the roles.
    .venv/bin/python infra/scripts/check-iam.py $([[ $# -gt 0 ]] && echo --calls-only) .tmp/stack-calls.jsonl
else
    echo "check-iam: not run (the Lambda stack's tests did not run)"
fi

echo "==> OpenAPI contract: schemathesis and a generated client against a fresh kyc-local"
infra/scripts/schemathesis.sh 2>&1 | tee .tmp/contract.log

echo "==> Python example (examples/python): pytest against a real kyc-local, at most 10 min"
status=0
KYC_LOCAL_BIN="${KYC_LOCAL_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/kyc-local}" timeout 600 examples/python/test.sh 2>&1 \
    | tee .tmp/python-example.log || status=$?
grep -q '^python example: ' .tmp/python-example.log || echo "python example: 0 passed, 1 failed" >> .tmp/python-example.log

# One closing line for the whole run (cargo's last line is a crate's doc-tests), counting
# the cargo tests and the generated client's steps.
awk '/^test result:/ { p += $4; f += $6 }
     /^generated client: [0-9]+ passed, [0-9]+ failed/ { p += $3; f += $5 }
     /^python example: [0-9]+ passed, [0-9]+ failed/ { p += $3; f += $5 }
     END { printf "tests: %d passed, %d failed\n", p, f }' .tmp/cargo-test.log .tmp/contract.log .tmp/python-example.log
exit "$status"
