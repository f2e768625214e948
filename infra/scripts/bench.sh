#!/usr/bin/env bash
# Runs the benchmarks and writes BENCHMARKS.md: DynamoDB calls per operation (against
# moto), requests per second of a release kyc-local on its embedded store, and the
# document scorer's throughput and peak memory, machine verification's calls, price
# and latency per lead lifecycle, and the hosted KYC link page in headless Chromium (its
# weight, and the time from the last upload to the status shown).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
infra/scripts/venv.sh >/dev/null
infra/scripts/browser.sh
infra/scripts/moto.sh start
trap 'infra/scripts/moto.sh stop' EXIT
KYC_TEST_AWS_ENDPOINT="$(cat .tmp/moto.url)"
export KYC_TEST_AWS_ENDPOINT
cargo build --release --locked -p kyc-local
export KYC_LOCAL_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/kyc-local"
report="$(cargo bench --locked -p kyc-tests --bench api)"
scorer="$(cargo bench --locked -p kyc-tests --bench scorer)"
webhooks="$(cargo bench --locked -p kyc-tests --bench webhooks)"
verifier="$(cargo bench --locked -p kyc-tests --bench verifier)"
cost="$(cargo bench --locked -p kyc-tests --bench lifecycle_cost)"
links="$(cargo bench --locked -p kyc-tests --bench link_page)"
screening="$(cargo bench --locked -p kyc-tests --bench screening)"
{
    echo "# Benchmarks"
    echo
    echo "Made by \`infra/scripts/bench.sh\` on $(date -u +%F) ($(nproc) cores, $(uname -m))."
    echo
    echo "$report"
    echo
    echo "$scorer"
    echo
    echo "$webhooks"
    echo
    echo "$verifier"
    echo
    echo "$cost"
    echo
    echo "$links"
    echo
    echo "$screening"
} > BENCHMARKS.md
cat BENCHMARKS.md
