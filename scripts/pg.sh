#!/usr/bin/env bash
# A throw-away PostgreSQL cluster on a free loopback port, for tests and benchmarks.
#   scripts/pg.sh start DIR   prints the connection URL
#   scripts/pg.sh stop DIR    stops that cluster (by the PID in its pid file) and removes DIR
# HERALD_PG_PROFILE=bench keeps fsync on (only commits are asynchronous) and gives the server
# realistic memory; the default test profile trades durability for speed.
set -euo pipefail
action=${1:?start|stop}
dir=${2:?directory}

as_postgres() {
  # initdb refuses to run as root.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
  done
  return 1
}

case "$action" in
  start)
    bin=$(pg_bin) || { echo "PostgreSQL is not installed (scripts/install-test-deps.sh installs it)" >&2; exit 1; }
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_postgres "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    options="-c listen_addresses=127.0.0.1 -p $port -k $dir -c synchronous_commit=off -c max_connections=400"
    if [ "${HERALD_PG_PROFILE:-test}" = bench ]; then
      options="$options -c shared_buffers=2GB -c effective_cache_size=8GB -c work_mem=16MB"
    else
      options="$options -c fsync=off -c full_page_writes=off"
    fi
    as_postgres "$bin/pg_ctl" -D "$dir/data" -w -t 60 -l "$dir/postgres.log" -o "$options" start >/dev/null \
      || { cat "$dir/postgres.log" >&2; exit 1; }
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    pidfile=$dir/data/postmaster.pid
    if [ -f "$pidfile" ]; then
      pid=$(head -n 1 "$pidfile")
      kill -INT "$pid" 2>/dev/null || true      # fast shutdown
      for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
