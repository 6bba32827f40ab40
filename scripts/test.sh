#!/usr/bin/env bash
# `make test`: installs whatever is missing, then runs every test. Non-zero on any failure.
#   1. lint (rustfmt, clippy for the server and the WASM side)
#   2. unit and integration tests against SQLite and a throw-away PostgreSQL cluster
#   3. browser tests in headless Chromium against a running server
#   4. the REST API against Backstage's OpenAPI document (Schemathesis, black box)
set -euo pipefail
cd "$(dirname "$0")/.."

# A fresh checkout gains nothing from incremental caches, and they cost gigabytes of disk.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
started=$(date +%s)

scripts/setup.sh
scripts/install-test-deps.sh

say "lint"
make --no-print-directory lint

# Its own directory under /tmp: the postgres user must be able to reach it.
pg_dir=$(mktemp -d /tmp/herald-pg.XXXXXX)
cleanup() { scripts/pg.sh stop "$pg_dir" >/dev/null 2>&1 || true; }
trap cleanup EXIT

say "starting a throw-away PostgreSQL"
pg_url=$(scripts/pg.sh start "$pg_dir")

say "unit and integration tests (SQLite and PostgreSQL)"
HERALD_TEST_POSTGRES_URL="$pg_url" HERALD_TEST_REQUIRE_POSTGRES=1 \
  cargo test -p server -p app --features app/ssr

say "browser tests (headless Chromium)"
scripts/build-site.sh debug
cargo build -p server
scripts/e2e.sh

say "API contract (Backstage's OpenAPI document, Schemathesis)"
scripts/contract.sh

say "all tests passed in $(( $(date +%s) - started )) s"
