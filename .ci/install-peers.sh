#!/usr/bin/env bash
# Installs the real SOCKS5 peers the interop tests run against (tests/Socks5.Protocol.Tests/Interop/README.md
# lists them, with what each is used for).
# Run as root. Idempotent and non-interactive; safe to run again.
# - No package may start its system daemon during install (policy-rc.d exits 101);
#   tor in particular would otherwise go for the Internet.
# - Creates the system account danted checks for username auth: socksuser / sockspass.
# - Stops the system tor/danted/ssh daemons if one started anyway, by the pid their
#   service recorded (never by name), so nothing the tests started is touched.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "install-peers.sh: must run as root" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
start=$(date +%s)

policy=/usr/sbin/policy-rc.d
created_policy=0
backup=""
if [ -e "$policy" ]; then
  # Keep the machine's own policy file; swap ours in only for the install, then put it back.
  backup=$(mktemp)
  cp -p "$policy" "$backup"
else
  created_policy=1
fi
printf '#!/bin/sh\n# Written by .ci/install-peers.sh: no daemon starts on package install.\nexit 101\n' > "$policy"
chmod 755 "$policy"
cleanup() {
  if [ "$created_policy" -eq 1 ]; then
    rm -f "$policy"
  elif [ -n "$backup" ]; then
    cp -p "$backup" "$policy" && rm -f "$backup"
  fi
}
trap cleanup EXIT

apt-get update -q
# hpsockd is left out: only partly usable (its BIND never sends the second reply; UDP works only when the client
# names its real port).
apt-get install -y -q --no-install-recommends \
  dante-server dante-client microsocks openssh-server openssh-client shadowsocks-libev v2ray tor \
  curl ncat netcat-openbsd connect-proxy proxychains4 python3-socks python3-python-socks \
  python3-socksio libio-socket-socks-perl node-socks socat

# danted's 'username' method checks system accounts.
if ! id socksuser >/dev/null 2>&1; then
  useradd -M -r -s /usr/sbin/nologin socksuser
fi
echo 'socksuser:sockspass' | chpasswd

# A daemon that started anyway (no policy-rc.d honoured, or one was already running before):
# stop it through its own pid file, so only the system service is stopped.
stop_by_pidfile() {
  local name=$1 pidfile=$2 pid
  [ -r "$pidfile" ] || return 0
  pid=$(tr -dc '0-9' < "$pidfile")
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    echo "install-peers.sh: stopping system $name (pid $pid from $pidfile)"
    kill -TERM "$pid" 2>/dev/null || true
  fi
}
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  for unit in tor tor@default danted ssh; do
    if systemctl is-active --quiet "$unit" 2>/dev/null; then
      echo "install-peers.sh: stopping systemd unit $unit"
      systemctl stop "$unit" || true
    fi
  done
fi
stop_by_pidfile tor /run/tor/tor.pid
stop_by_pidfile danted /run/danted.pid
stop_by_pidfile sshd /run/sshd.pid

echo "install-peers.sh: done in $(( $(date +%s) - start )) s"
dpkg-query -W -f='${Package} ${Version}\n' \
  dante-server dante-client microsocks openssh-server openssh-client shadowsocks-libev v2ray tor \
  curl ncat netcat-openbsd connect-proxy proxychains4 python3-socks python3-python-socks \
  python3-socksio libio-socket-socks-perl node-socks socat 2>/dev/null || true
