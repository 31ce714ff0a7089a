#!/usr/bin/env bash
# Development loop: rebuild and reload on save. cargo-leptos dev builds add
# `--cfg erase_components`, so they get their own target dir and never evict the artifacts of
# `cargo nextest` / release builds in target/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target-dev}
exec cargo leptos watch "$@"
