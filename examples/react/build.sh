#!/usr/bin/env bash
# Installs (npm ci from the lock file, only when it changed: node_modules is kept between
# runs), type-checks and builds the React example into examples/react/dist.
# Usage: examples/react/build.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ "$(cat node_modules/.lock.sha256 2>/dev/null)" != "$want" ]]; then
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" > node_modules/.lock.sha256
fi
node_modules/.bin/tsc --noEmit -p .
node_modules/.bin/vite build --logLevel warn
