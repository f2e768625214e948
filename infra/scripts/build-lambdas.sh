#!/usr/bin/env bash
# Build deployable Lambda artifacts (arm64, provided.al2023) with cargo-lambda:
#   target/lambda/arm64/<binary>/bootstrap.zip
#
# cargo-lambda and zig come from the project venv (infra/scripts/venv.sh); zig is only
# found through that venv's python, so its bin/ goes first on PATH. cargo-lambda links
# against an old glibc, so the binaries run on provided.al2023 (a plain host build does
# not).
#
# Usage: infra/scripts/build-lambdas.sh [extra `cargo lambda build` args, e.g. --locked]
#   FUNCTIONS="authorizer leads-api"  build only these (default: every
#                                     BuildProperties.Binary in template.yaml)
# A cold release build of the SDK crates takes several minutes on 2 cores.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TARGET_TRIPLE="aarch64-unknown-linux-gnu"
LAMBDA_DIR="target/lambda/arm64"   # per architecture: arm64 and x86-64 builds overwrite each other

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

packages=()
for f in "${functions[@]}"; do packages+=(-p "$f"); done

echo "build-lambdas.sh: building ${functions[*]} for arm64 into $LAMBDA_DIR" >&2
start=$SECONDS
cargo lambda build --release --arm64 --output-format zip --lambda-dir "$LAMBDA_DIR" \
    "${packages[@]}" "$@"
echo "build-lambdas.sh: built in $((SECONDS - start)) s" >&2

status=0
for f in "${functions[@]}"; do
    zip="$LAMBDA_DIR/$f/bootstrap.zip"
    if [[ -f "$zip" ]]; then
        printf '%-60s %10d bytes (%s)\n' "$zip" "$(stat -c %s "$zip")" "$(du -h "$zip" | cut -f1)"
    else
        echo "missing: $zip" >&2
        status=1
    fi
done
exit $status
