#!/usr/bin/env bash
# Browser tests: starts a fresh server (SQLite in a temporary directory, demo catalog, guest
# sign-in) on a free port, runs Playwright against it in headless Chromium, stops it by PID.
#   scripts/e2e.sh [playwright args…]        HERALD_BIN picks the server binary
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib.sh
work=$(mktemp -d /tmp/herald-e2e.XXXXXX)
trap 'stop_server; rm -rf "$work"' EXIT
start_server "${HERALD_BIN:-target/debug/herald}" "$work" e2e

status=0
HERALD_E2E_URL="http://127.0.0.1:$port" HERALD_E2E_SERVICE_TOKEN="$service_token" \
  node_modules/.bin/playwright test --config end2end/playwright.config.ts "$@" || status=$?
if [ "$status" -ne 0 ]; then
  # A panic's message comes before its backtrace, which alone can outrun the tail.
  echo "---- server panics ----" >&2
  grep -A2 'panicked' "$work/server.log" >&2 || echo "(none)" >&2
  echo "---- server log (last 60 lines) ----" >&2
  tail -n 60 "$work/server.log" >&2
fi
exit "$status"
