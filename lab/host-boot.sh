#!/bin/bash
# Runs as pid 1 of a lab host's new pid namespace (inside its netns and private mount ns),
# prepares /proc, /sys, /dev, /run and the boot id, then becomes the host's init via chroot.
# Usage: host-boot.sh HOSTDIR NAME
set -e
H=$1 NAME=$2 R=$1/root
# our pid as seen from outside (= lab-init after exec), read before we mount our own /proc
while read -r k v _; do [ "$k" = NSpid: ] && echo "$v" > "$H/init.pid"; done < /proc/self/status
mount -t proc proc "$R/proc"
mount --bind "$H/boot_id" "$R/proc/sys/kernel/random/boot_id"      # this boot's id
mount -t sysfs -o ro sysfs "$R/sys"
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
exec chroot "$R" /usr/sbin/lab-init
