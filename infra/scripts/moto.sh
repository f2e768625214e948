#!/usr/bin/env bash
# Start or stop a moto server (AWS-compatible endpoint for tests and local runs).
#
# Usage: infra/scripts/moto.sh start   # prints nothing; writes .tmp/moto.pid and
#                                      # .tmp/moto.url (http://127.0.0.1:PORT) once
#                                      # the server answers (<= 20 s); log: .tmp/moto.log
#        infra/scripts/moto.sh stop    # stops the server of .tmp/moto.pid
#
# Needs <repo>/.venv with moto[server] (infra/scripts/venv.sh). A server already
# started by this script and still running is kept as it is.
# Then: export KYC_TEST_AWS_ENDPOINT="$(cat .tmp/moto.url)" (or AWS_ENDPOINT_URL).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# MOTO_STATE_DIR: where the pid, URL and log are kept (one server per directory).
TMP="${MOTO_STATE_DIR:-$ROOT/.tmp}"
PID_FILE="$TMP/moto.pid"
URL_FILE="$TMP/moto.url"
LOG_FILE="$TMP/moto.log"
SERVER="$ROOT/infra/scripts/moto_serial.py"
PYTHON="$ROOT/.venv/bin/python"
WAIT_SECONDS=20

die() { printf 'moto.sh: %s\n' "$*" >&2; exit 1; }

# The pid in the file, if that process is still our moto server (pids get reused).
running_pid() {
    [[ -f "$PID_FILE" ]] || return 1
    local pid
    pid="$(cat "$PID_FILE")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/$pid/cmdline" ]] || return 1
    tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q moto_serial || return 1
    echo "$pid"
}

start() {
    if running_pid >/dev/null && [[ -s "$URL_FILE" ]]; then
        return 0
    fi
    [[ -x "$PYTHON" ]] || die "$PYTHON not found: run infra/scripts/venv.sh first"
    mkdir -p "$TMP"
    rm -f "$PID_FILE" "$URL_FILE"

    local port url pid
    port="$("$PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()')"
    url="http://127.0.0.1:$port"

    # Detached from our stdio so that callers capturing our output do not wait for it.
    "$PYTHON" "$SERVER" -H 127.0.0.1 -p "$port" </dev/null >"$LOG_FILE" 2>&1 &
    pid=$!

    # Any HTTP answer means it is up.
    if ! "$PYTHON" - "$url" "$pid" "$WAIT_SECONDS" <<'PY'
import os, sys, time, urllib.error, urllib.request
url, pid, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
deadline = time.monotonic() + limit
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit(1)
    try:
        urllib.request.urlopen(url + "/moto-api/", timeout=1).close()
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
    then
        kill "$pid" 2>/dev/null || true
        tail -n 20 "$LOG_FILE" >&2 || true
        die "moto server did not answer on $url within $WAIT_SECONDS s (log: $LOG_FILE)"
    fi
    echo "$pid" > "$PID_FILE"
    echo "$url" > "$URL_FILE"
}

stop() {
    local pid
    if pid="$(running_pid)"; then
        kill "$pid"
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$PID_FILE" "$URL_FILE"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) die "usage: $0 start|stop" ;;
esac
