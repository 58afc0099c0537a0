#!/bin/bash
# The lab VM's disk: Debian bookworm minbase + kernel + systemd + sshd, as a raw ext4 image (no
# partition table, booted with -kernel/-initrd), plus the kernel, the initrd and a fixed ssh host key.
# Usage: build-image.sh OUT MIRROR PUBKEY   (OUT written via OUT.new, then renamed)
set -euo pipefail
OUT=$1 M=$2 PUB=$3
SRC=$(cd "$(dirname "$0")" && pwd)
W=$OUT.new R=$OUT.new/root
cleanup() { for m in dev/pts dev proc sys; do umount -l "$R/$m" 2>/dev/null || true; done; }
trap cleanup EXIT
cleanup; rm -rf "$W"; mkdir -p "$W"

debootstrap --variant=minbase bookworm "$R" "$M"
mount -t proc proc "$R/proc"; mount --rbind /dev "$R/dev"; mount --make-rslave "$R/dev"; mount -t sysfs sys "$R/sys"
printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d"; chmod 755 "$R/usr/sbin/policy-rc.d"   # no daemons in the chroot
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
chroot "$R" apt-get install -y -q --no-install-recommends \
  linux-image-amd64 systemd-sysv udev openssh-server iproute2 </dev/null
chroot "$R" apt-get clean
rm -f "$R/usr/sbin/policy-rc.d"
cleanup

# system: name, root fs, network (qemu user networking; eth0 via net.ifnames=0). systemd-networkd,
# not ifupdown: ifupdown-pre waits for udev to settle, 7 s of every boot under TCG.
echo ucw-vm > "$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 ucw-vm\n' > "$R/etc/hosts"
echo '/dev/vda / ext4 defaults,errors=remount-ro 0 1' > "$R/etc/fstab"
printf '[Match]\nName=eth0\n[Network]\nAddress=10.0.2.15/24\nGateway=10.0.2.2\n' > "$R/etc/systemd/network/10-eth0.network"
chroot "$R" systemctl enable -q systemd-networkd.service

# sshd: one fixed ed25519 host key (the controller's known_hosts pins it), root by key only
rm -f "$R"/etc/ssh/ssh_host_*
ssh-keygen -q -t ed25519 -N '' -C ucw-vm -f "$W/ssh_host_ed25519_key"
install -m 600 "$W/ssh_host_ed25519_key" "$R/etc/ssh/ssh_host_ed25519_key"
install -m 644 "$W/ssh_host_ed25519_key.pub" "$R/etc/ssh/ssh_host_ed25519_key.pub"
install -m 644 "$SRC/sshd-vm.conf" "$R/etc/ssh/sshd_config.d/ucw-vm.conf"
install -d -m 700 "$R/root/.ssh"; install -m 600 "$PUB" "$R/root/.ssh/authorized_keys"

# serial marker once multi-user is reached: the controller waits for it
install -m 644 "$SRC/ucw-vm-booted.service" "$R/etc/systemd/system/ucw-vm-booted.service"
ln -sf /etc/systemd/system/ucw-vm-booted.service "$R/etc/systemd/system/multi-user.target.wants/ucw-vm-booted.service"

cp "$R"/boot/vmlinuz-* "$W/vmlinuz"
cp "$R"/boot/initrd.img-* "$W/initrd.img"
truncate -s 3G "$W/base.img"
mkfs.ext4 -q -F -L ucw-vm -d "$R" "$W/base.img"
rm -rf "$R"
rm -rf "$OUT"; mv "$W" "$OUT"
