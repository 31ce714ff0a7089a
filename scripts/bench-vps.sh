#!/usr/bin/env bash
# `bash scripts/bench.sh vps`: the VPS figures of the README. The cargo bench seeds 1,000 VPSs
# into a data dir it keeps (PIER_BENCH_DATA) and prints its own figures; then the release
# binary serves that data dir and the /vps page is timed, signed in as the bench's admin.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bin=target/release/pier
[ -x "$bin" ] || { echo "build first: cargo leptos build --release" >&2; exit 1; }
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }

work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
PIER_BENCH_DATA=$work/data cargo bench -q -p pier-core --bench vps

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
PIER_DATA=$work/data PIER_LISTEN=127.0.0.1:$port PIER_LOG=warn PIER_DOCKER_HOST= PIER_NGINX_BIN= \
  "$bin" serve >"$work/out" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fsS "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS -c "$work/jar" -H "Origin: $base" -H 'content-type: application/json' \
  -d '{"username":"root","password":"correct horse battery","remember":false}' "$base/api/fn/login" >/dev/null
cookie=$(awk '{sub(/^#HttpOnly_/, "")} !/^#/ && NF >= 7 {printf "%s=%s; ", $6, $7}' "$work/jar")
cookie=${cookie%; }
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$base/vps")" = 200 ] || { echo "not signed in" >&2; exit 1; }
count=$(curl -s -H "Cookie: $cookie" "$base/vps" | grep -o 'data-vps=' | wc -l)
for _ in $(seq 1 20); do curl -s -o /dev/null -w '%{time_total}\n' -H "Cookie: $cookie" "$base/vps"; done | sort -n >"$work/t"
echo
echo "GET /vps (SSR, admin, $count cards in the page): one at a time, 20 requests: p50 $(sed -n 10p "$work/t") s, max $(tail -1 "$work/t") s"
wrk -t2 -c4 -d10s --latency -H "Cookie: $cookie" "$base/vps" >"$work/wrk"
echo "GET /vps under wrk -c4 -d10s: $(awk '/Requests\/sec/ {print $2}' "$work/wrk") req/s, p50 $(awk '$1=="50%" {print $2}' "$work/wrk"), p99 $(awk '$1=="99%" {print $2}' "$work/wrk")"
