#!/usr/bin/env bash
# `make bench`: numbers, not tests. Runs the benchmarks against SQLite and a throw-away
# PostgreSQL cluster, prints the results and writes them to BENCHMARKS.md.
#   scripts/bench.sh [bench-name…]     default: every benchmark
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-deps.sh

pg_dir=$(mktemp -d /tmp/herald-pg.XXXXXX)
trap 'scripts/pg.sh stop "$pg_dir" >/dev/null 2>&1 || true' EXIT
pg_url=$(HERALD_PG_PROFILE=bench scripts/pg.sh start "$pg_dir")

benches=("$@")
[ ${#benches[@]} -gt 0 ] || benches=(api)
for bench in "${benches[@]}"; do
  HERALD_BENCH_POSTGRES_URL="$pg_url" cargo bench -p server --bench "$bench"
done
