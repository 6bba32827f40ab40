#!/usr/bin/env bash
# `make bench`: numbers, not tests. Measures the notifications API at scale, live signals, and
# the page in a browser, on SQLite and on a throw-away PostgreSQL cluster; prints the results
# and writes them to BENCHMARKS.md.
#   scripts/bench.sh [api|signals|ui|screenshots …]     default: api signals ui
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
scripts/setup.sh
scripts/install-test-deps.sh

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(api signals ui)

pg_dir=$(mktemp -d /tmp/herald-pg.XXXXXX)
work=$(mktemp -d /tmp/herald-bench.XXXXXX)
cleanup() {
  stop_server
  scripts/pg.sh stop "$pg_dir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# Runs `node SCRIPT` against a fresh release server on SQLite with the demo and test catalogs.
with_release_server() {
  local script=$1 dir
  dir=$(mktemp -d "$work/server.XXXXXX")
  start_server target/release/herald "$dir" ci-bot warn
  HERALD_BENCH_URL="http://127.0.0.1:$port" HERALD_BENCH_SERVICE_TOKEN="$service_token" node "$script"
  stop_server
}

for part in "${parts[@]}"; do
  case "$part" in
    api | signals)
      [ -f "$pg_dir/data/postmaster.pid" ] || pg_url=$(HERALD_PG_PROFILE=bench scripts/pg.sh start "$pg_dir")
      HERALD_BENCH_POSTGRES_URL="$pg_url" cargo bench -p server --bench "$part"
      ;;
    ui)
      make --no-print-directory build
      with_release_server end2end/bench/live-latency.mjs
      ;;
    screenshots)
      make --no-print-directory build
      with_release_server end2end/bench/screenshots.mjs
      ;;
    *) echo "unknown part: $part (api, signals, ui, screenshots)" >&2; exit 2 ;;
  esac
done
