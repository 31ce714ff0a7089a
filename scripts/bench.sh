#!/usr/bin/env bash
# Benchmarks (not tests): SSR throughput and latency of the shell page under a loopback load
# generator, idle RSS of `pier serve`, and the gzipped size of the WASM the browser loads.
# Needs a release build (scripts/start.sh or `cargo leptos build --release`). Prints a table.
#   bash scripts/bench.sh              the shell page, jobs, healthz, RSS, WASM size
#   bash scripts/bench.sh containers   log lines/s to a browser vs docker logs -f, the container
#                                      list with 500 containers, RSS with 20 open log streams
#                                      (needs dockerd: scripts/deps.sh runtime test)
#   bash scripts/bench.sh vps          the VPS bench (list of 1,000, power actions, Pier against
#                                      virsh on QEMU), then the /vps page (SSR) with those 1,000
#                                      VPSs, signed in as the admin
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = containers ]; then
  cd end2end && exec node bench/containers.mjs
fi
if [ "${1:-}" = vps ]; then
  exec bash scripts/bench-vps.sh
fi
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }
bin=target/release/pier
[ -x "$bin" ] || { echo "build first: cargo leptos build --release" >&2; exit 1; }

data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PIER_DATA=$data PIER_LISTEN=127.0.0.1:$port PIER_LOG=warn PIER_LIBVIRT_URI= PIER_DOCKER_HOST= PIER_NGINX_BIN= \
  "$bin" serve >"$data/out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

sleep 3
idle_rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)

run() { # path label
  wrk -t"$(( ${CONNS:-32} < 2 ? 1 : 2 ))" -c"${CONNS:-32}" -d"${DURATION:-15s}" --latency "http://127.0.0.1:$port$1" >"$data/wrk.txt"
  rps=$(awk '/Requests\/sec/ {print $2}' "$data/wrk.txt")
  p50=$(awk '$1=="50%" {print $2}' "$data/wrk.txt")
  p99=$(awk '$1=="99%" {print $2}' "$data/wrk.txt")
  printf '| %-22s | %10s | %8s | %8s |\n' "$2" "$rps" "$p50" "$p99"
}
echo "| GET (wrk -t2 -c${CONNS:-32}, ${DURATION:-15s}) | req/s | p50 | p99 |"
echo "|---|---|---|---|"
run / "shell page / (SSR)"
run /jobs "jobs page /jobs (SSR+DB)"
run /healthz "healthz (JSON)"
loaded_rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)

wasm=$(ls target/site/pkg/*.wasm | head -1)
raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
js=$(gzip -9 -c target/site/pkg/pier.js | wc -c)
css=$(gzip -9 -c target/site/pkg/pier.css | wc -c)
echo
echo "idle RSS after start: $((idle_rss / 1024)) MiB ($idle_rss kB); after the load runs: $((loaded_rss / 1024)) MiB"
echo "WASM: $((raw / 1024)) kB raw, $((gz / 1024)) kB gzip -9; JS glue $((js / 1024)) kB gz; CSS $((css / 1024)) kB gz"
