#!/bin/sh
# Installs the lab's systemd units into the image root $1 (run by lab/build-image.sh).
# Real units: ssh, mariadb, nginx come from their Debian packages; these add the lab's parts.
set -e
R=$1 U=$1/etc/systemd/system
mkdir -p $U/multi-user.target.wants $U/nginx.service.d $U/mariadb.service.d $U/ssh.service.d $R/etc/systemd/journald.conf.d

# boot order as on a UCware server: sshd first, then MariaDB, then nginx; light hosts have no MariaDB
printf '[Unit]\nAfter=ssh.service\nConditionPathExists=!/etc/lab/no-mariadb\n' > $U/mariadb.service.d/lab.conf
printf '[Unit]\nAfter=ssh.service mariadb.service ucware-lab-status.service\n' > $U/nginx.service.d/lab.conf

cat > $U/lab-firstboot-mysql.service <<'U'
[Unit]
Description=Lab: first boot of a host whose MariaDB root uses password auth
After=mariadb.service
Requires=mariadb.service
ConditionPathExists=/etc/lab/firstboot-mysql-root-password
[Service]
Type=oneshot
ExecStart=/usr/lib/lab/firstboot-mysql
[Install]
WantedBy=multi-user.target
U

cat > $U/ucware-lab-status.service <<'U'
[Unit]
Description=Lab: UCware admin page from dpkg's status
[Service]
Type=oneshot
ExecStart=/usr/sbin/ucware-lab-status
[Install]
WantedBy=multi-user.target
U

# The UCware JSON-RPC API stand-in (node + the repo's lab/ bind-mounted at /run/lab-api by
# lab/host-boot.sh; absent on light hosts). After a crash it is back after api-restart-delay.
cat > $U/ucware-api.service <<'U'
[Unit]
Description=UCware JSON-RPC API (lab stand-in)
ConditionPathExists=/run/lab-api/node
[Service]
ExecStart=/usr/lib/lab/ucware-api
Restart=always
RestartSec=0
StartLimitBurst=1000
StandardOutput=append:/run/lab-api/host/api.log
StandardError=inherit
[Install]
WantedBy=multi-user.target
U

# shutdown-delay: stopped first at shutdown (ordered after the servers), and slow to stop, so
# sshd keeps answering with the old boot id meanwhile
cat > $U/lab-slow-stop.service <<'U'
[Unit]
Description=Lab: a unit slow to stop (npm run lab -- set HOST shutdown-delay SEC)
After=ssh.service mariadb.service nginx.service ucware-api.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true
ExecStop=/usr/lib/lab/slow-stop
TimeoutStopSec=infinity
[Install]
WantedBy=multi-user.target
U

# the controller waits for this: the boot id in /run/lab-status/ready once multi-user is reached
cat > $U/lab-ready.service <<'U'
[Unit]
Description=Lab: tell the controller this boot is complete
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/usr/lib/lab/ready
[Install]
WantedBy=multi-user.target
U

for u in lab-firstboot-mysql ucware-lab-status ucware-api lab-slow-stop lab-ready; do
  ln -sf ../$u.service $U/multi-user.target.wants/$u.service
done

# a container has no kernel modules, consoles or hardware clock to manage
for u in systemd-modules-load.service getty@tty1.service console-getty.service systemd-timesyncd.service \
         sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount systemd-sysctl.service \
         systemd-hwdb-update.service systemd-udev-trigger.service systemd-udevd.service systemd-firstboot.service; do
  ln -sf /dev/null $U/$u
done
# apt-daily and unattended-upgrades are installed as on an Ubuntu server, off unless a test enables them
chroot $R systemctl disable apt-daily.timer apt-daily-upgrade.timer unattended-upgrades.service >/dev/null 2>&1 || true
printf '[Journal]\nStorage=volatile\nRuntimeMaxUse=16M\n' > $R/etc/systemd/journald.conf.d/lab.conf
