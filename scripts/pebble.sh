#!/usr/bin/env bash
# Pebble (a test ACME directory) and pebble-challtestsrv (its DNS) on free loopback ports, for
# the test suites (design.md §5). Nothing is downloaded: Debian's `pebble` package, and a CA
# and leaf certificate made here with openssl because Pebble ships none.
#
#   scripts/pebble.sh start DIR HTTP_PORT   prints KEY=VALUE lines (directory, CA file, ...)
#   scripts/pebble.sh stop DIR
#
# HTTP_PORT is where Pebble's validator fetches HTTP-01 answers: the nginx port of the sites
# under test. Every name resolves to 127.0.0.1 through challtestsrv.
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?directory}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

case "$cmd" in
start)
  http_port=${3:?HTTP port}
  mkdir -p "$dir"
  cd "$dir"
  acme=$(free_port); mgmt=$(free_port); dns=$(free_port); dns_mgmt=$(free_port)
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=pier-test-pebble-ca \
    -keyout ca.key -out ca.pem 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost -keyout leaf.key -out leaf.csr 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >leaf.ext
  openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile leaf.ext -out leaf.pem 2>/dev/null
  cat >pebble.json <<JSON
{ "pebble": { "listenAddress": "127.0.0.1:$acme", "managementListenAddress": "127.0.0.1:$mgmt",
  "certificate": "$dir/leaf.pem", "privateKey": "$dir/leaf.key", "httpPort": $http_port, "tlsPort": $(free_port),
  "ocspResponderURL": "", "externalAccountBindingRequired": false } }
JSON
  (setsid pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" -dns01 "127.0.0.1:$dns" -management "127.0.0.1:$dns_mgmt" \
    -http01 "" -https01 "" -tlsalpn01 "" >challtestsrv.log 2>&1 & echo $! >challtestsrv.pid)
  # No sleeps in validation, no refused nonces, no reused authorizations: each test proves its names.
  (PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 setsid pebble -config pebble.json -dnsserver "127.0.0.1:$dns" \
    >pebble.log 2>&1 & echo $! >pebble.pid)
  for _ in $(seq 1 100); do
    if curl -sf --cacert ca.pem "https://127.0.0.1:$acme/dir" >/dev/null 2>&1; then break; fi
    sleep 0.1
  done
  curl -sf --cacert ca.pem "https://127.0.0.1:$acme/dir" >/dev/null || { echo "pebble did not start; see $dir/pebble.log" >&2; exit 1; }
  # The root that signs issued certificates (regenerated at every start).
  curl -sf --cacert ca.pem "https://127.0.0.1:$mgmt/roots/0" >issuer-root.pem
  echo "PEBBLE_DIRECTORY=https://127.0.0.1:$acme/dir"
  echo "PEBBLE_CA_FILE=$dir/ca.pem"
  echo "PEBBLE_ISSUER_ROOT=$dir/issuer-root.pem"
  echo "PEBBLE_DNS=127.0.0.1:$dns"
  echo "PEBBLE_DNS_MANAGEMENT=http://127.0.0.1:$dns_mgmt"
  ;;
stop)
  for p in pebble challtestsrv; do
    [ -f "$dir/$p.pid" ] && kill "$(cat "$dir/$p.pid")" 2>/dev/null || true
  done
  ;;
*) echo "usage: $0 start DIR HTTP_PORT | stop DIR" >&2; exit 2 ;;
esac
