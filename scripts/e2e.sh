#!/usr/bin/env bash
# Browser tests: starts a fresh server (SQLite in a temporary directory, demo catalog, guest
# sign-in) on a free port, runs Playwright against it in headless Chromium, stops it by PID.
#   scripts/e2e.sh [playwright args…]        HERALD_BIN picks the server binary
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${HERALD_BIN:-target/debug/herald}
work=$(mktemp -d /tmp/herald-e2e.XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token="e2e-service-token-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
cat >"$work/herald.toml" <<EOT
[server]
listen = "127.0.0.1:$port"
base_url = "http://127.0.0.1:$port"
site_root = "$PWD/target/site"
[database]
url = "sqlite://$work/herald.db"
[catalog]
files = ["$PWD/catalog/*.yaml", "$PWD/end2end/catalog.yaml"]
[auth]
guest = true
[[auth.service_tokens]]
subject = "e2e"
token = "$token"
EOT

"$bin" serve --config "$work/herald.toml" >"$work/server.log" 2>&1 &
pid=$!
stop() {
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap stop EXIT

for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.2
done

status=0
HERALD_E2E_URL="http://127.0.0.1:$port" HERALD_E2E_SERVICE_TOKEN="$token" \
  node_modules/.bin/playwright test --config end2end/playwright.config.ts "$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "---- server log (last 60 lines) ----" >&2
  tail -n 60 "$work/server.log" >&2
fi
exit "$status"
