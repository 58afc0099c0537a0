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
mode=$(cat "$H/init" 2>/dev/null || echo lab-init)
# systemd hosts: a cgroup per host under ours in the cgroup2 tree (/sys/fs/cgroup/unified on a hybrid layout)
CGFS=; for d in /sys/fs/cgroup/unified /sys/fs/cgroup; do [ "$(stat -fc %T $d 2>/dev/null)" = cgroup2fs ] && { CGFS=$d; break; }; done
own=$(sed -n 's/^0:://p' /proc/self/cgroup)
CG=${own%/}/$(basename "$(dirname "$(dirname "$H")")")/$NAME   # e.g. /ucw-lab-1/lab2
cg_clean() { [ -n "$CGFS" ] && [ -d "$CGFS$CG" ] || return 0
  for _ in $(seq 50); do find "$CGFS$CG" -depth -type d -exec rmdir {} + 2>/dev/null; [ -d "$CGFS$CG" ] || return 0; sleep 0.1; done; }
if [ "$mode" = systemd ] && [ -z "$CGFS" ]; then log "no cgroup2 file system: cannot boot systemd; using lab-init"; mode=lab-init; echo lab-init > "$H/init"; fi
while [ ! -e "$H/stop" ]; do
  ip -n "$NS" link set eth0 up 2>/dev/null   # (down while the host was off, see silent-when-down)
  cat /proc/sys/kernel/random/uuid > "$H/boot_id"
  rm -f "$H/status/ready"; phase booting
  log "boot $(cat "$H/boot_id")"
  if [ "$mode" = systemd ]; then cg_clean; mkdir -p "$CGFS$CG"; fi
  ip netns exec "$NS" unshare --mount --pid --fork --uts --ipc --propagation private "$LABDIR/host-boot.sh" "$H" "$NAME" "$CG" &
  hostpid=$!
  # lab-init hosts: the API stand-in runs from here; systemd hosts run it as ucware-api.service
  if [ -n "${LAB_API_CMD:-}" ] && [ "$mode" != systemd ]; then api_loop & apiloop=$!; fi
  wait $hostpid; rc=$?
  log "host exited rc=$rc"
  stop_api; rm -f "$H/status/ready" "$H/init.pid"
  [ "$mode" = systemd ] && cg_clean
  [ -e "$H/stop" ] && break
  # a powered-off machine does not answer at all: connects time out instead of being refused
  [ -e "$H/control/silent-when-down" ] && ip -n "$NS" link set eth0 down 2>/dev/null
  # lab-init exits 3 for poweroff; systemd's reboot(2) in a pid namespace ends it with SIGINT (130)
  # for poweroff/halt and SIGHUP (129) for reboot
  if [ $rc = 3 ] || { [ "$mode" = systemd ] && [ $rc = 130 ]; }; then touch "$H/control/powered-off"; fi
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
