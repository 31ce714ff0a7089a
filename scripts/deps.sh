#!/usr/bin/env bash
# Installs (and starts) what Pier needs on Debian 12, as root. Idempotent: quick when all is
# there. Both README commands call it; nothing here downloads outside the package registries.
#
#   scripts/deps.sh build     toolchain: libvirt headers, wasm target, cargo-leptos, wasm-bindgen, wasm-opt
#   scripts/deps.sh runtime   components the panel drives: dockerd, nginx (started when needed)
#   scripts/deps.sh test      test-only: Chromium + chromedriver, playwright-core, busybox
set -euo pipefail

CARGO_LEPTOS_VERSION=0.3.11
WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen crate pinned in Cargo.toml
BINARYEN_VERSION=132           # npm binaryen; Debian's binaryen 108 breaks hydration (design.md §5)

here=$(cd "$(dirname "$0")/.." && pwd)
log() { printf '\033[1;34m[deps]\033[0m %s\n' "$*" >&2; }
export PATH="$HOME/.cargo/bin:$PATH"

apt_updated=
apt_install() {
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ -z "$apt_updated" ]; then log "apt-get update"; apt-get update -qq; apt_updated=1; fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# QEMU must come from bookworm-backports: the machine's qemu-utils is the backports build, and
# bookworm's qemu-system conflicts with it (design.md §5).
backports_install() {
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local list=/etc/apt/sources.list.d/bookworm-backports.sources
  if [ ! -f "$list" ]; then
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' >"$list"
    apt_updated=""
  fi
  if [ -z "$apt_updated" ]; then log "apt-get update"; apt-get update -qq; apt_updated=1; fi
  log "apt-get install -t bookworm-backports ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -t bookworm-backports "${missing[@]}" >/dev/null
}

build() {
  apt_install build-essential pkg-config libvirt-dev libssl-dev ca-certificates curl
  # Node may come from another package source (its npm is bundled): Debian's npm would conflict.
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  rustup target list --installed | grep -qx wasm32-unknown-unknown || { log "rustup target add wasm32"; rustup target add wasm32-unknown-unknown; }
  if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    log "cargo install cargo-leptos $CARGO_LEPTOS_VERSION (about 17 minutes on 2 cores, once)"
    # --ignore-rust-version: a locked dependency asks for a newer rustc than it needs.
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --ignore-rust-version
  fi
  if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
    log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 2 minutes, once)"
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
  if ! wasm-opt --version 2>/dev/null | grep -q "version $BINARYEN_VERSION"; then
    log "npm install -g binaryen@$BINARYEN_VERSION (wasm-opt)"
    npm install -g --silent "binaryen@$BINARYEN_VERSION" >/dev/null
  fi
  vendor_assets
}

start_dockerd() {
  if ! docker version >/dev/null 2>&1; then
    log "starting dockerd (log: /var/log/dockerd.log)"
    (setsid dockerd >/var/log/dockerd.log 2>&1 &)
    for _ in $(seq 1 30); do docker version >/dev/null 2>&1 && return 0; sleep 0.5; done
    log "dockerd did not come up; see /var/log/dockerd.log"; return 1
  fi
}

start_libvirtd() {
  # The recipe in design.md §5: a libvirt-qemu account, QEMU run as root without a security
  # driver (no AppArmor/SELinux labelling inside this kind of machine), daemons started by hand.
  getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
  getent passwd libvirt-qemu >/dev/null || useradd -r -g libvirt-qemu -s /usr/sbin/nologin libvirt-qemu
  mkdir -p /var/log/libvirt/qemu /var/lib/libvirt/images /var/run/libvirt /etc/libvirt
  grep -qs '^security_driver' /etc/libvirt/qemu.conf ||
    printf 'user = "root"\ngroup = "root"\nsecurity_driver = "none"\n' >>/etc/libvirt/qemu.conf
  pgrep -x virtlogd >/dev/null || virtlogd -d
  if ! pgrep -x libvirtd >/dev/null; then
    log "starting libvirtd"
    libvirtd -d
  fi
  for _ in $(seq 1 30); do [ -S /var/run/libvirt/libvirt-sock ] && return 0; sleep 0.2; done
  log "libvirtd did not come up"; return 1
}

# The console libraries (xterm.js, noVNC) from npm into public/vendor, which the build copies to
# the site. Installed at build time, never committed (design.md §5).
vendor_assets() {
  local dest="$here/public/vendor"
  if [ ! -f "$dest/xterm/xterm.mjs" ] || [ ! -f "$dest/novnc/core/rfb.js" ] || [ "$here/frontend/package-lock.json" -nt "$dest/.stamp" ]; then
    log "npm ci (console libraries)"
    (cd "$here/frontend" && npm ci --silent --no-audit --no-fund)
    rm -rf "$dest" && mkdir -p "$dest/xterm" "$dest/novnc"
    local m="$here/frontend/node_modules"
    cp "$m/@xterm/xterm/lib/xterm.mjs" "$m/@xterm/xterm/css/xterm.css" "$m/@xterm/addon-fit/lib/addon-fit.mjs" "$dest/xterm/"
    cp -r "$m/@novnc/novnc/core" "$m/@novnc/novnc/vendor" "$m/@novnc/novnc/LICENSE.txt" "$dest/novnc/"
    touch "$dest/.stamp"
  fi
}

runtime() {
  # busybox-static: the file manager copies it into containers that have no rm/mv of their own.
  apt_install docker.io busybox-static nginx libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients genisoimage dnsmasq-base
  backports_install qemu-system-x86 qemu-system-common qemu-system-data seabios qemu-utils
  # Debian starts a system nginx on :80 when it can; Pier runs its own under a private prefix.
  start_dockerd
  start_libvirtd
  start_default_network
}

# VPSs on the private network use libvirt's NAT network "default" (dnsmasq gives addresses).
start_default_network() {
  local v="virsh -q -c qemu:///system"
  if ! $v net-info default >/dev/null 2>&1; then
    log "defining libvirt network default (NAT, 192.168.122.0/24)"
    local xml; xml=$(mktemp)
    cat >"$xml" <<'XML'
<network>
  <name>default</name>
  <forward mode='nat'/>
  <bridge name='virbr0' stp='on' delay='0'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp><range start='192.168.122.2' end='192.168.122.254'/></dhcp>
  </ip>
</network>
XML
    $v net-define "$xml" >/dev/null && rm -f "$xml"
    $v net-autostart default >/dev/null
  fi
  [ "$($v net-info default | awk '/^Active:/{print $2}')" = yes ] || $v net-start default >/dev/null
}

tests() {
  # openssl: the TLS engine test makes its CA and certificates.
  apt_install chromium chromium-driver busybox-static nasm openssl pebble
  # The qemu+ssh host test runs an sshd of its own on loopback; the package must not start the
  # system one (no init here to own it): policy-rc.d says no to starting services meanwhile.
  if ! dpkg-query -W -f='${Status}' openssh-server 2>/dev/null | grep -q "install ok installed"; then
    local policy=/usr/sbin/policy-rc.d
    if [ -e "$policy" ]; then
      apt_install openssh-server netcat-openbsd
    else
      printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"
      apt_install openssh-server netcat-openbsd
      rm -f "$policy"
    fi
  fi
  # The SMTP sink the alert tests send mail to (design.md §5): aiosmtpd in a venv of its own.
  if [ ! -x /opt/pier-smtp-sink/bin/aiosmtpd ]; then
    apt_install python3-venv
    log "python3 -m venv /opt/pier-smtp-sink; pip install aiosmtpd"
    python3 -m venv /opt/pier-smtp-sink && /opt/pier-smtp-sink/bin/pip install -q aiosmtpd
  fi
  if [ ! -x "$here/end2end/node_modules/.bin/playwright-core" ] && [ ! -d "$here/end2end/node_modules/playwright-core" ]; then
    log "npm ci (end2end)"
    (cd "$here/end2end" && npm ci --silent --no-audit --no-fund)
  fi
}

groups=("$@")
[ ${#groups[@]} -eq 0 ] && groups=(build runtime)
for g in "${groups[@]}"; do
  case "$g" in
    build) build ;;
    runtime) runtime ;;
    test) tests ;;
    *) echo "unknown group: $g (build, runtime, test)" >&2; exit 2 ;;
  esac
done
