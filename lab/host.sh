#!/bin/bash
# Low-level lifecycle of one lab host. Orchestrated by lab/lab.ts; usable by hand for debugging.
#   host.sh up   I SUITE [light]  create (first time, from the SUITE's image) and start host labI
#   host.sh stop I          phase 1 of down: ask the host's init to shut down (fast)
#   host.sh down I          phase 2 of down: wait, kill leftovers, unmount, remove network
# env: LAB_DIR (required), LAB_API_CMD (API stand-in command; ignored for light hosts)
set -euo pipefail
trap 'echo "host.sh $*: line $LINENO: \"$BASH_COMMAND\" failed (exit $?)" >&2' ERR
: "${LAB_DIR:?}"
LABSRC=$(cd "$(dirname "$0")" && pwd)
cmd=$1 i=$2 suite=${3:-bookworm} light=${4:-}
# network names of this lab instance (lab/instance.ts; the defaults are instance 0's)
BR=${LAB_BRIDGE:-ucwlab0} PFX=${LAB_PREFIX:-10.250}
NAME=lab$i NS=${LAB_NS_PREFIX:-ucwlab-}lab$i VETH=${LAB_VETH_PREFIX:-ucwl}$i H=$LAB_DIR/hosts/lab$i IP=$PFX.0.$((10 + i))
R=$H/root
[ -e "$H/suite" ] && suite=$(cat "$H/suite")   # a host keeps the release it was created with
LOWER=$LAB_DIR/images/$suite

alive() { [ -n "${1:-}" ] && [ -d /proc/$1 ] && ! grep -q '^State:.Z' /proc/$1/status 2>/dev/null; }
pidof_file() { cat "$1" 2>/dev/null || true; }

first_time() {   # per-host identity, written into the overlay before the first boot
  rm -f "$R"/etc/ssh/ssh_host_ed25519_key*
  ssh-keygen -q -t ed25519 -N '' -C "root@$NAME" -f "$R/etc/ssh/ssh_host_ed25519_key"
  cp "$R/etc/ssh/ssh_host_ed25519_key.pub" "$H/ssh_host_ed25519_key.pub"
  mkdir -p "$R/etc/ssl/lab"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$R/etc/ssl/lab/host.key" \
    -out "$H/host.csr" -subj "/CN=$NAME" 2>>"$H/openssl.log"
  # random serial: no shared serial file, so hosts can be created in parallel
  openssl x509 -req -in "$H/host.csr" -CA "$LAB_DIR/ca/ca.pem" -CAkey "$LAB_DIR/ca/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
    -days 825 -extfile <(printf 'subjectAltName=IP:%s,DNS:%s\nextendedKeyUsage=serverAuth\n' "$IP" "$NAME") \
    -out "$R/etc/ssl/lab/host.pem" 2>>"$H/openssl.log"
  rm -f "$H/host.csr"; chmod 600 "$R/etc/ssl/lab/host.key"
  echo "$NAME" > "$R/etc/hostname"
  tr -d - < /proc/sys/kernel/random/uuid > "$R/etc/machine-id"
  echo "${LAB_INIT:-systemd}" > "$H/init"   # PID 1: systemd, or the fallback lab-init
  echo "$suite" > "$H/suite"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n%s\tlab-controller\n' "$NAME" "$PFX.0.1" > "$R/etc/hosts"
  if [ "$i" = 2 ] && [ -z "$light" ]; then   # lab2 starts with MariaDB root on PASSWORD auth
    openssl rand -hex 10 > "$LAB_DIR/secrets/mysql-root-password-$NAME"; chmod 600 "$LAB_DIR/secrets/mysql-root-password-$NAME"
    install -m 600 "$LAB_DIR/secrets/mysql-root-password-$NAME" "$R/etc/lab/firstboot-mysql-root-password"
  fi
  if [ -n "$light" ]; then touch "$R/etc/lab/no-mariadb" "$H/light"; fi
  touch "$H/created"
}

fast_stop() {   # `lab down`: lab-init stops at once on USR1; systemd powers off (RTMIN+4), skipping shutdown-delay
  touch "$H/stop" "$H/control/fast-stop"
  local init; init=$(pidof_file "$H/init.pid"); [ -n "$init" ] || return 0
  if [ "$(cat "$H/init" 2>/dev/null)" = systemd ]; then kill -s RTMIN+4 "$init" 2>/dev/null || true
  else kill -USR1 "$init" 2>/dev/null || true; fi
}

case $cmd in
up)
  mkdir -p "$H/upper" "$H/work" "$H/root" "$H/control" "$H/status"
  if ! mountpoint -q "$R"; then
    mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$H/upper,workdir=$H/work" "$R"
  fi
  if [ ! -e "$H/created" ]; then first_time; fi
  if ! ip link show "$VETH" >/dev/null 2>&1; then
    ip netns del "$NS" 2>/dev/null || true
    ip netns add "$NS"
    ip link add "$VETH" type veth peer name eth0 netns "$NS"
    ip link set "$VETH" master "$BR" up
    ip -n "$NS" addr add "$IP/24" dev eth0
    ip -n "$NS" link set lo up; ip -n "$NS" link set eth0 up
    ip neigh flush to "$IP" dev "$BR" 2>/dev/null || true   # a recreated host has a new MAC: forget the old one
  fi
  rm -f "$H/control/no-return" "$H/control/powered-off" "$H/control/fast-stop"   # `up` brings back hosts told to stay down
  if alive "$(pidof_file "$H/supervisor.pid")"; then exit 0; fi
  rm -f "$H/stop"
  api=; [ -e "$H/light" ] || api=${LAB_API_CMD:-}
  LAB_API_CMD=$api LAB_API_NODE=${api:+$LAB_API_NODE} setsid nohup "$LABSRC/supervisor.sh" "$H" "$NAME" "$NS" >> "$H/supervisor.log" 2>&1 < /dev/null &
  echo $! > "$H/supervisor.pid"
  ;;
stop)
  [ -d "$H" ] || exit 0
  fast_stop
  ;;
down)
  [ -d "$H" ] || exit 0
  fast_stop
  sup=$(pidof_file "$H/supervisor.pid")
  for _ in $(seq 150); do alive "$sup" || break; sleep 0.05; done
  if alive "$sup"; then kill -TERM "$sup" 2>/dev/null || true; fi
  if [ -e "/run/netns/$NS" ]; then
    for p in $(ip netns pids "$NS" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
  fi
  api=$(pidof_file "$H/api.pid"); [ -n "$api" ] && kill -KILL "$api" 2>/dev/null || true
  alive "$sup" && kill -KILL "$sup" 2>/dev/null || true
  for _ in $(seq 40); do mountpoint -q "$R" || break; umount "$R" 2>/dev/null || { sleep 0.05; continue; }; done
  mountpoint -q "$R" && umount -l "$R"
  ip link del "$VETH" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  ip neigh flush to "$IP" dev "$BR" 2>/dev/null || true
  rm -f "$H/supervisor.pid" "$H/init.pid" "$H/api.pid" "$H/status/ready"
  echo stopped > "$H/phase"
  ;;
*) echo "usage: host.sh up I SUITE [light] | stop I | down I" >&2; exit 2 ;;
esac
