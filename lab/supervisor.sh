#!/bin/bash
# Boot loop of one lab host; each iteration is one "boot" with a fresh boot id.
# Usage: supervisor.sh HOSTDIR NAME NETNS   (env: LAB_API_CMD = command starting the API stand-in, empty for light hosts)
H=$1 NAME=$2 NS=$3 LABDIR=$(cd "$(dirname "$0")" && pwd)
phase() { echo "$1" > "$H/phase"; }
log() { echo "$(date +%T.%N | cut -c1-12) $*"; }
api_loop() {   # like a systemd service with Restart=always, RestartSec=api-restart-delay
  while :; do
    ip netns exec "$NS" $LAB_API_CMD "$H" >> "$H/api.log" 2>&1 &
    echo $! > "$H/api.pid"; wait $!; rc=$?
    echo "$(date +%T.%N | cut -c1-12) api exited rc=$rc" >> "$H/api.log"
    sleep "$(cat "$H/control/api-restart-delay" 2>/dev/null || echo 1)"
  done
}
stop_api() {
  [ -n "${apiloop:-}" ] && kill "$apiloop" 2>/dev/null && wait "$apiloop" 2>/dev/null
  [ -f "$H/api.pid" ] && kill "$(cat "$H/api.pid")" 2>/dev/null
  rm -f "$H/api.pid"; apiloop=
}
trap 'stop_api; exit 0' TERM
while [ ! -e "$H/stop" ]; do
  ip -n "$NS" link set eth0 up 2>/dev/null   # (down while the host was off, see silent-when-down)
  cat /proc/sys/kernel/random/uuid > "$H/boot_id"
  rm -f "$H/status/ready"; phase booting
  log "boot $(cat "$H/boot_id")"
  ip netns exec "$NS" unshare --mount --pid --fork --uts --ipc --propagation private "$LABDIR/host-boot.sh" "$H" "$NAME" &
  hostpid=$!
  if [ -n "${LAB_API_CMD:-}" ]; then api_loop & apiloop=$!; fi
  wait $hostpid; rc=$?
  log "host exited rc=$rc"
  stop_api; rm -f "$H/status/ready" "$H/init.pid"
  [ -e "$H/stop" ] && break
  # a powered-off machine does not answer at all: connects time out instead of being refused
  [ -e "$H/control/silent-when-down" ] && ip -n "$NS" link set eth0 down 2>/dev/null
  if [ $rc = 3 ]; then touch "$H/control/powered-off"; fi
  if [ -e "$H/control/no-return" ] || [ -e "$H/control/powered-off" ]; then
    phase down; log "staying down (no-return/powered-off)"
    while { [ -e "$H/control/no-return" ] || [ -e "$H/control/powered-off" ]; } && [ ! -e "$H/stop" ]; do sleep 0.2; done
    [ -e "$H/stop" ] && break
  fi
  phase rebooting
  sleep "$(cat "$H/control/reboot-delay" 2>/dev/null || echo 2)"
done
phase stopped
log "supervisor exit"
