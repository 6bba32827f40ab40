#!/usr/bin/env bash
# Installs the build tools Herald needs, only those missing: the wasm32 target, the
# wasm-bindgen CLI matching Cargo.lock, and the pinned npm tools (Tailwind, wasm-opt,
# Playwright). Nothing is downloaded from GitHub.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

wanted=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$wanted" ]; then
  say "installing wasm-bindgen-cli $wanted (a few minutes, once)"
  # Not --locked: the CLI's own lock file pins a crate the registry mirror lacks.
  cargo install wasm-bindgen-cli --version "$wanted" --force
fi

# npm install (not ci): the lock written here has no non-Linux optional builds.
stamp=node_modules/.herald-installed
if [ ! -f "$stamp" ] || [ package.json -nt "$stamp" ]; then
  say "installing npm tools (Tailwind, wasm-opt, Playwright)"
  npm install --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
