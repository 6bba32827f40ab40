# Herald: the two commands are `make run` and `make test`; the rest are their parts.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

CONFIG ?= herald.toml

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: ## Install missing build tools (wasm32 target, wasm-bindgen CLI, npm tools)
	@scripts/setup.sh

run: setup ## Build (debug) and serve http://127.0.0.1:3000 on SQLite with the demo catalog
	scripts/build-site.sh debug
	cargo build -p server
	target/debug/herald serve --config $(CONFIG)

build: setup ## Release build: target/release/herald and the site under target/site
	scripts/build-site.sh release
	cargo build --release -p server

test: ## Install what is missing and run every test (lint, unit, integration on SQLite and PostgreSQL, browser)
	@scripts/test.sh

bench: ## Benchmarks on SQLite and PostgreSQL; results go to BENCHMARKS.md
	@scripts/bench.sh

screenshots: ## Regenerate the README's screenshots (docs/*.png)
	@scripts/bench.sh screenshots

lint: ## rustfmt and clippy, warnings are errors
	cargo fmt --all --check
	cargo clippy -p server -p app --features app/ssr --all-targets -- -D warnings
	cargo clippy -p frontend -p app --features app/hydrate --target wasm32-unknown-unknown --target-dir target/front -- -D warnings

clean: ## Remove build output and the development database
	cargo clean
	rm -rf data

.PHONY: help setup run build test bench screenshots lint clean
