#!/usr/bin/env bash
# Black-box contract check: Schemathesis generates requests from Backstage's own OpenAPI
# document (end2end/contract/) and sends them to a fresh server, once as a signed-in user and
# once as a service, failing on any 5xx or any response the document does not allow.
#
# One check is left out: "positive data acceptance" expects every request the schema admits to
# succeed, but Backstage's contract rejects some of them on purpose, and so do we: an empty query
# value (`?search=`), an empty title, an entity ref that is not one, a channel that does not exist.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

venv=${XDG_CACHE_HOME:-$HOME/.cache}/herald/contract-venv
requirements=end2end/contract/requirements.txt
if ! cmp -s "$requirements" "$venv/requirements.txt" 2>/dev/null; then
  echo "==> installing Schemathesis into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/requirements.txt"
fi

work=$(mktemp -d /tmp/herald-contract.XXXXXX)
trap 'stop_server; rm -rf "$work"' EXIT
start_server "${HERALD_BIN:-target/debug/herald}" "$work" contract warn

base="http://127.0.0.1:$port"
user_token=$(curl -fsS -X POST "$base/api/auth/guest/sign-in" -H 'content-type: application/json' \
  -d '{"user":"user:default/alice"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
# Something to read, update and find before the generated requests start.
curl -fsS -o /dev/null -X POST "$base/api/notifications" -H "authorization: Bearer $service_token" \
  -H 'content-type: application/json' \
  -d '{"recipients":{"type":"entity","entityRef":"user:default/alice"},"payload":{"title":"Welcome","topic":"docs"}}'

status=0
for caller in user service; do
  token=$user_token
  [ "$caller" = service ] && token=$service_token
  echo "==> the upstream OpenAPI document, as a $caller"
  "$venv/bin/schemathesis" run end2end/contract/backstage-notifications-openapi.yaml \
    --url "$base/api/notifications" --header "Authorization: Bearer $token" \
    --exclude-checks positive_data_acceptance --max-examples 100 --seed 7 \
    --no-color >"$work/$caller.log" 2>&1 || status=$?
  grep -E 'generated|passed|failed|❌' "$work/$caller.log" | tail -n 4
  [ "$status" -eq 0 ] || { cat "$work/$caller.log" >&2; break; }
done
if grep -q 'panicked' "$work/server.log"; then
  echo "the server panicked:" >&2
  grep -A5 'panicked' "$work/server.log" >&2
  status=1
fi
exit "$status"
