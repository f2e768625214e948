#!/usr/bin/env bash
# Runs the benchmarks and writes BENCHMARKS.md: DynamoDB calls per operation (against
# moto), requests per second of a release kyc-local on its embedded store, and the
# document scorer's throughput and peak memory, machine verification's calls, price
# and latency per lead lifecycle, and the hosted KYC link page in headless Chromium (its
# weight, and the time from the last upload to the status shown), how fast kyc-local
# drains a webhook backlog after a crash, and bulk import's rows per second, peak memory
# and DynamoDB calls per row, and the Lambda stack on moto against kyc-local (latency,
# cold starts, upload to webhook). Hand-measured sections are kept.
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
screening="$(cargo bench --locked -p kyc-app --bench screening)"
drain="$(cargo bench --locked -p kyc-tests --bench local_drain)"
imports="$(cargo bench --locked -p kyc-tests --bench imports)"
# The Lambda stack runs the functions as its contract builds them (test profile): its
# functions and a kyc-local of the same profile, then the bench in that profile too.
lambda_packages=(-p kyc-lambda-stack)
while read -r binary; do lambda_packages+=(-p "$binary"); done \
    < <(grep -E '^\s+Binary:' template.yaml | awk '{print $2}')
cargo build --locked -p kyc-local
cargo build --locked "${lambda_packages[@]}"
stack="$(cargo bench --locked -p kyc-tests --bench lambda_stack --profile dev)"
# Cold init of the functions as deployed, for this machine's architecture: the release
# profile, linked as the Lambda artifacts are (.cargo/config.toml: position-dependent
# executables; the host's gcc would make a shared library an executable with `-no-pie`,
# so the flag goes to its linker), against a hello-world lambda_http binary built the same
# way. --target keeps the flag from proc macros and build scripts, and the binaries apart.
release_packages=(-p hello-lambda)
while read -r binary; do release_packages+=(-p "$binary"); done \
    < <(grep -E '^\s+Binary:' template.yaml | awk '{print $2}')
host="$(rustc -vV | sed -n 's/^host: //p')"
env "CARGO_TARGET_$(echo "$host" | tr 'a-z-' 'A-Z_')_RUSTFLAGS=-C link-arg=-Wl,--no-pie" \
    cargo build --release --locked --target "$host" "${release_packages[@]}"
cold="$(KYC_LAMBDA_BIN_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/$host/release" \
    cargo bench --locked -p kyc-tests --bench cold_init --profile dev)"
sumsub="$(cargo bench --locked -p kyc-tests --bench sumsub --profile dev)"
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
    echo
    echo "$drain"
    echo
    echo "$imports"
    echo
    echo "$stack"
    echo
    echo "$cold"
    echo
    echo "$sumsub"
} > .tmp/BENCHMARKS.generated.md
# Sections measured by hand (e.g. "Lambda artifacts": cargo-lambda builds and cold starts
# this script does not run) are kept from the previous file, after the generated ones.
python3 - .tmp/BENCHMARKS.generated.md BENCHMARKS.md <<'PY'
import re, sys
generated, previous = open(sys.argv[1]).read(), open(sys.argv[2]).read()
def sections(text):
    parts = re.split(r"(?m)^(?=## )", text)
    return {p.splitlines()[0]: p for p in parts if p.startswith("## ")}
made = sections(generated)
kept = [body for title, body in sections(previous).items() if title not in made]
out = generated.rstrip("\n") + "\n" + "".join("\n" + body.rstrip("\n") + "\n" for body in kept)
open(sys.argv[2], "w").write(out)
PY
cat BENCHMARKS.md
