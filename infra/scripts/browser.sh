#!/usr/bin/env bash
# Installs what the browser tests (tests/tests/link_page.rs) need, once, from package
# registries only: Debian's chromium and chromium-driver (apt-get, as root or through
# sudo), and axe-core pinned by tests/browser/package-lock.json (npm ci into
# .tmp/node, redone only when the lock file changes). Nothing else is downloaded:
# Chromium is Debian's, never a test tool's own browser download.
#
# Usage: infra/scripts/browser.sh   (test.sh runs it; the tests find the tools at
#        /usr/bin/chromium, /usr/bin/chromedriver and .tmp/node/node_modules/axe-core,
#        or where KYC_CHROMIUM, KYC_CHROMEDRIVER and KYC_AXE_JS say)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
log() { printf 'browser.sh: %s\n' "$*" >&2; }

missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
[[ -x /usr/bin/chromedriver ]] || missing+=(chromium-driver)
if ((${#missing[@]})); then
    SUDO=""
    [[ "$(id -u)" -eq 0 ]] || SUDO="sudo"
    log "installing ${missing[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null \
        || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
fi
log "$(/usr/bin/chromium --version 2>/dev/null | head -n1), $(/usr/bin/chromedriver --version | head -n1 | cut -d' ' -f1-2)"

NODE_DIR="$ROOT/.tmp/node"
LOCK="$ROOT/tests/browser/package-lock.json"
want="$(sha256sum "$LOCK" | cut -d' ' -f1)"
if [[ "$(cat "$NODE_DIR/.lock.sha256" 2>/dev/null)" != "$want" || ! -f "$NODE_DIR/node_modules/axe-core/axe.min.js" ]]; then
    command -v npm >/dev/null || { log "npm is needed for axe-core (apt-get install -y npm)"; exit 1; }
    rm -rf "$NODE_DIR"
    mkdir -p "$NODE_DIR"
    cp "$ROOT/tests/browser/package.json" "$LOCK" "$NODE_DIR/"
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
    echo "$want" > "$NODE_DIR/.lock.sha256"
fi
log "axe-core $(sed -n 's/.*"version": "\([^"]*\)".*/\1/p' "$NODE_DIR/node_modules/axe-core/package.json" | head -n1) in $NODE_DIR"
