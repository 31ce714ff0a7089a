#!/usr/bin/env bash
# README command 2 (CI runs it too): install what the tests need, then run every test:
# unit + integration (cargo nextest), the release build, and the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

bash scripts/deps.sh build runtime test

# Components the tests talk to must be there: a missing daemon fails, never silently skips.
export PIER_TEST_REQUIRE_ALL=1

echo "== unit and integration tests (cargo nextest)"
# frontend is the WASM entry: it is built (and tested in the browser) by the release build.
cargo nextest run --workspace --exclude frontend --no-fail-fast

echo "== release build: server (SSR) + browser bundle (hydrate, wasm-opt)"
cargo leptos build --release

echo "== browser tests: the release binary in headless Chromium"
cd end2end
npm test
