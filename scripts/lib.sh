# Shared by the scripts that start a throw-away Herald (browser tests, benchmarks).

# A free TCP port on loopback.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A random service token.
random_token() {
  echo "$1-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
}

# Writes a configuration for a server on PORT with a SQLite DATABASE file, the demo and test
# catalogs, guest sign-in, and one service token.
#   write_config FILE PORT DATABASE SUBJECT TOKEN [LOG_LEVEL]
write_config() {
  local file=$1 port=$2 database=$3 subject=$4 token=$5 level=${6:-info}
  cat >"$file" <<EOT
[server]
listen = "127.0.0.1:$port"
base_url = "http://127.0.0.1:$port"
site_root = "$PWD/target/site"
[database]
url = "sqlite://$database"
[catalog]
files = ["$PWD/catalog/*.yaml", "$PWD/end2end/catalog.yaml"]
[auth]
guest = true
[[auth.service_tokens]]
subject = "$subject"
token = "$token"
[log]
level = "$level"
EOT
}

# Waits until the server on PORT is ready, or its process PID has died.
await_ready() {
  local port=$1 pid=$2
  for _ in $(seq 1 150); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}

# Starts BIN on a fresh SQLite database in WORK on a free port and waits until it is ready;
# sets `port`, `service_token` (for SUBJECT) and `server_pid`. stop_server stops it by PID.
#   start_server BIN WORK SUBJECT [LOG_LEVEL]
start_server() {
  local bin=$1 work=$2 subject=$3 level=${4:-info}
  port=$(free_port)
  service_token=$(random_token "$subject-service-token")
  write_config "$work/herald.toml" "$port" "$work/herald.db" "$subject" "$service_token" "$level"
  "$bin" serve --config "$work/herald.toml" >"$work/server.log" 2>&1 &
  server_pid=$!
  await_ready "$port" "$server_pid" || { cat "$work/server.log" >&2; return 1; }
}

stop_server() {
  [ -n "${server_pid:-}" ] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}
