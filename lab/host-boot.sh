#!/bin/bash
# Runs as pid 1 of a lab host's new pid namespace (inside its netns and private mount ns),
# prepares /proc, /sys, /dev, /run and the boot id, then becomes the host's init via chroot:
# systemd (the default), or the fallback lab-init (when $HOSTDIR/init says lab-init).
# Usage: host-boot.sh HOSTDIR NAME CGROUP   (CGROUP: this host's cgroup, relative to the cgroup2 root)
# env: LAB_API_NODE, LAB_API_SRC, LAB_API_CREDENTIALS (the API stand-in's parts, bind-mounted for its unit)
set -e
H=$1 NAME=$2 CG=$3 R=$1/root
mode=$(cat "$H/init" 2>/dev/null || echo lab-init)
if [ "$mode" = systemd ] && [ -z "${LAB_IN_CGROUPNS:-}" ]; then
  # systemd wants a cgroup2 tree of its own: move into this host's cgroup, then make it our cgroup
  # namespace's root (works with the hybrid layout, cgroup2 at /sys/fs/cgroup/unified, too)
  mkdir -p "$H/cgroup2"; mount -t cgroup2 cgroup2 "$H/cgroup2"
  echo 0 > "$H/cgroup2/$CG/cgroup.procs"
  umount "$H/cgroup2"
  LAB_IN_CGROUPNS=1 exec unshare --cgroup "$0" "$@"
fi
# our pid as seen from outside (= the init after exec), read before we mount our own /proc
while read -r k v _; do [ "$k" = NSpid: ] && echo "$v" > "$H/init.pid"; done < /proc/self/status
mount -t proc proc "$R/proc"
# the kernel is the machine's: /proc/sys read-only except this host's own network keys
mount --bind "$R/proc/sys" "$R/proc/sys"; mount -o remount,bind,ro "$R/proc/sys"
mount --bind /proc/sys/net "$R/proc/sys/net"
mount --bind "$H/boot_id" "$R/proc/sys/kernel/random/boot_id"      # this boot's id
mount -t sysfs -o ro sysfs "$R/sys"
[ "$mode" = systemd ] && mount -t cgroup2 cgroup2 "$R/sys/fs/cgroup"
mount -t tmpfs -o mode=755,size=16m tmpfs "$R/dev"
for d in null zero full random urandom tty; do touch "$R/dev/$d"; mount --bind "/dev/$d" "$R/dev/$d"; done
mkdir -p "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"; ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"
mount -t tmpfs -o mode=1777,size=64m tmpfs "$R/dev/shm"
mount -t tmpfs -o mode=755,size=64m tmpfs "$R/run"
mkdir -p "$R/run/lab-control" "$R/run/lab-status"
mount --bind -o ro "$H/control" "$R/run/lab-control"
mount --bind "$H/status" "$R/run/lab-status"
hostname "$NAME"
if [ "$mode" != systemd ]; then
  # lab-init: systemctl (and systemd-sysv's reboot/poweroff/halt/shutdown links to it) become shims
  [ -f "$R/usr/bin/systemctl" ] && [ ! -L "$R/usr/bin/systemctl" ] && mount --bind "$R/usr/lib/lab/shims/systemctl" "$R/usr/bin/systemctl"
  exec chroot "$R" /usr/sbin/lab-init
fi
if [ -n "${LAB_API_NODE:-}" ] && [ ! -e "$H/light" ]; then   # the parts ucware-api.service runs
  A=$R/run/lab-api; mkdir -p "$A/src" "$A/host"; touch "$A/node" "$A/api.json"
  mount --bind -o ro "$LAB_API_NODE" "$A/node"
  mount --bind -o ro "$LAB_API_SRC" "$A/src"
  mount --bind -o ro "$LAB_API_CREDENTIALS" "$A/api.json"
  mount --bind "$H" "$A/host"   # api-state.json, api.log, control/api-crash-after (not recursive: no root/ in it)
fi
# like systemd-nspawn's default: no module loading, clock setting, raw I/O and the like; reboot(2) stays
# (in a pid namespace it ends this init with SIGHUP for reboot, SIGINT for poweroff/halt)
drop=sys_module,sys_time,sys_rawio,sys_pacct,syslog,wake_alarm,block_suspend,mac_admin,mac_override
exec setpriv --bounding-set="-${drop//,/,-}" --inh-caps="-${drop//,/,-}" \
  chroot "$R" /usr/bin/env -i container=ucw-lab TERM=dumb LANG=C.UTF-8 /lib/systemd/systemd
