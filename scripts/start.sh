#!/usr/bin/env bash
# README command 1: install what Pier needs, build it (release), and start the panel on its
# embedded defaults (SQLite in ./data, http://127.0.0.1:3000). Run again to rebuild and restart.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

bash scripts/deps.sh build runtime
echo "[start] building Pier (release; the first build takes about 10 minutes on 2 cores)"
cargo leptos build --release

data=${PIER_DATA:-$PWD/data}
listen=${PIER_LISTEN:-127.0.0.1:3000}
mkdir -p "$data"
if [ -f "$data/pier.pid" ] && kill -0 "$(cat "$data/pier.pid")" 2>/dev/null; then
  echo "[start] stopping the running panel (pid $(cat "$data/pier.pid"))"
  kill "$(cat "$data/pier.pid")"
  for _ in $(seq 1 50); do kill -0 "$(cat "$data/pier.pid")" 2>/dev/null || break; sleep 0.2; done
fi
touch "$data/pier.out"
seen=$(wc -l <"$data/pier.out")
PIER_DATA="$data" PIER_LISTEN="$listen" setsid nohup target/release/pier serve >>"$data/pier.out" 2>&1 &
echo $! >"$data/pier.pid"
for _ in $(seq 1 100); do
  if curl -fsS "http://$listen/healthz" >/dev/null 2>&1; then
    # Only this start's output: a setup link from an earlier start is spent or expired.
    link=$(tail -n +"$((seen + 1))" "$data/pier.out" | grep -o "http://[^ ]*/setup?token=[0-9a-f]*" | tail -n 1 || true)
    if [ -n "$link" ]; then
      login="No accounts yet. Create the first administrator (link valid for one hour, once):
          $link
          or: target/release/pier admin create --username NAME --email EMAIL --password-stdin"
    else
      login="Sign in at http://$listen/login (forgot the password? target/release/pier admin create makes another admin)"
    fi
    cat <<MSG

Pier is running: http://$listen/
  Log in: $login
  Remote: the panel listens on loopback; from another machine use an SSH tunnel:
          ssh -L 3000:$listen root@<this host>
  Check:  target/release/pier doctor        Logs: $data/logs/ and $data/pier.out
  Stop:   kill \$(cat $data/pier.pid)
MSG
    exit 0
  fi
  sleep 0.2
done
echo "[start] Pier did not answer on http://$listen/healthz; last lines of $data/pier.out:" >&2
tail -n 20 "$data/pier.out" >&2
exit 1
