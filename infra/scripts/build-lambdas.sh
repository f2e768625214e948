#!/usr/bin/env bash
# Build the Lambda artifacts exactly as `sam build` does, without SAM:
#   target/lambda/<binary>/bootstrap       what SAM copies into .aws-sam/build/<Function>/
#   target/lambda/<binary>/bootstrap.zip   that file alone, as SAM's package step zips it
#
# SAM's `rust-cargolambda` build method (aws-lambda-builders) runs, in the function's
# CodeUri (here the workspace root), `cargo lambda build --release [--arm64] --bin
# <BuildProperties.Binary>` and copies `target/lambda/<Binary>/bootstrap`. This script
# reads the same three things from template.yaml (every function's Binary, its
# architecture, no extra Flags) and runs that same command once per function, so each
# binary is built with its own package's features, as SAM builds it (building all
# packages in one cargo call would unify features across them and produce other
# binaries). check-template.py refuses a function whose build this script would not
# reproduce (another BuildMethod, a CodeUri other than the root, Flags, x86_64).
#
# Every artifact is linked position-dependent (.cargo/config.toml), which this script checks.
#
# cargo-lambda and zig come from the project venv (infra/scripts/venv.sh); zig is only
# found through that venv's python, so its bin/ goes first on PATH. cargo-lambda links
# against an old glibc, so the binaries run on provided.al2023.
#
# Usage: infra/scripts/build-lambdas.sh
#   FUNCTIONS="authorizer leads-api"   build only these (default: every Binary in the template)
#   MAX_ZIP_BYTES=4000000              fail when a zip is larger (default 4 MB)
# A cold release build takes several minutes per SDK feature set on 2 cores.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TARGET_TRIPLE="aarch64-unknown-linux-gnu"
MAX_ZIP_BYTES="${MAX_ZIP_BYTES:-4000000}"

cd "$ROOT"
VENV="$(infra/scripts/venv.sh)"
export PATH="$VENV/bin:$PATH"

if [[ -z "${FUNCTIONS:-}" ]]; then
    # The binaries the template deploys: `Binary: <name>` under BuildProperties.
    FUNCTIONS="$(sed -nE 's/^[[:space:]]+Binary:[[:space:]]*([A-Za-z0-9_-]+)[[:space:]]*$/\1/p' template.yaml | sort -u | tr '\n' ' ')"
fi
read -r -a functions <<<"$FUNCTIONS"
if [[ ${#functions[@]} -eq 0 ]]; then
    echo "build-lambdas.sh: no functions to build (FUNCTIONS empty, none in template.yaml)" >&2
    exit 1
fi

if command -v rustup >/dev/null 2>&1; then
    if ! rustup target list --installed | grep -qx "$TARGET_TRIPLE"; then
        echo "build-lambdas.sh: rustup target add $TARGET_TRIPLE" >&2
        rustup target add "$TARGET_TRIPLE"
    fi
else
    echo "build-lambdas.sh: rustup not found; assuming the $TARGET_TRIPLE std library is installed" >&2
fi

start=$SECONDS
for f in "${functions[@]}"; do
    echo "build-lambdas.sh: cargo lambda build --release --arm64 --bin $f" >&2
    cargo lambda build --release --arm64 --bin "$f"
    dir="${CARGO_TARGET_DIR:-target}/lambda/$f"
    rm -f "$dir/bootstrap.zip"
    (cd "$dir" && zip -q -X -9 bootstrap.zip bootstrap)
done
echo "build-lambdas.sh: built in $((SECONDS - start)) s" >&2

status=0
printf '%-16s %12s %12s\n' function bootstrap zip
for f in "${functions[@]}"; do
    dir="${CARGO_TARGET_DIR:-target}/lambda/$f"
    bytes="$(stat -c %s "$dir/bootstrap.zip")"
    printf '%-16s %12d %12d\n' "$f" "$(stat -c %s "$dir/bootstrap")" "$bytes"
    if ((bytes > MAX_ZIP_BYTES)); then
        echo "build-lambdas.sh: $dir/bootstrap.zip is $bytes bytes, above $MAX_ZIP_BYTES" >&2
        status=1
    fi
    # .cargo/config.toml links the Lambda target position-dependent (no relocations to
    # apply at a cold start): an ELF header saying DYN means the flag did not reach it.
    if ! LC_ALL=C readelf -h "$dir/bootstrap" | grep -Eq '^[[:space:]]*Type:[[:space:]]+EXEC'; then
        echo "build-lambdas.sh: $dir/bootstrap is not a position-dependent executable (see .cargo/config.toml)" >&2
        status=1
    fi
done
exit $status
