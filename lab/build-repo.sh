#!/bin/bash
# Build the lab's stand-in UCware apt repository (unsigned; hosts use [trusted=yes]).
# Layout mirrors packages.ucware.de/ubuntu/<suite> bionic main:
#   OUT/ubuntu/ucware-4.5      ucware + ucware-core 4.5.0.9, 4.5.0.10
#   OUT/ubuntu/ucware-5        ucware + ucware-core 5.0.2, ucware-admin-client 5.0.2 (new dependency)
#   OUT/ubuntu/ucware-firmware ucware-firmware-yealink 1.0.0, 1.0.1
# Sources line on a host: deb [trusted=yes] http://10.250.0.1:PORT/ubuntu/ucware-4.5 bionic main
# Usage: build-repo.sh OUT   (OUT is replaced atomically via OUT.new)
set -euo pipefail
OUT=$1
B=$(mktemp -d); trap 'rm -rf "$B"' EXIT
rm -rf "$OUT.new"; mkdir -p "$OUT.new/ubuntu"

deb() { # suite dir -> builds $B/$dir into the suite's pool
  local suite=$1 d=$2
  local name ver; name=$(sed -n 's/^Package: //p' $d/DEBIAN/control); ver=$(sed -n 's/^Version: //p' $d/DEBIAN/control)
  mkdir -p "$OUT.new/ubuntu/$suite/pool/main/u/$name"
  dpkg-deb --root-owner-group -Zgzip -b "$d" "$OUT.new/ubuntu/$suite/pool/main/u/$name/${name}_${ver}_all.deb" >/dev/null
}
control() { # name version description [depends]
  cat <<C
Package: $1
Version: $2
Architecture: all
Maintainer: UCware lab stand-in <lab@example.invalid>
Section: comm
Priority: optional
${4:+Depends: $4
}Description: $3
 Stand-in package built by the ucw-runner lab (not the real UCware software).
C
}

core() { # version suite
  local v=$1 suite=$2 d=$B/ucware-core_$1
  mkdir -p $d/DEBIAN $d/etc/ucware $d/etc/init $d/usr/share/ucware/admin
  control ucware-core "$v" "UCware server core $v (lab stand-in)" > $d/DEBIAN/control
  printf '/etc/ucware/ucware.php\n/etc/init/asterisk.conf\n' > $d/DEBIAN/conffiles
  cat > $d/etc/ucware/ucware.php <<P
<?php
// UCware server configuration, shipped by ucware-core $v
\$config = [
    'version' => '$v',
    'db' => ['host' => 'localhost', 'name' => 'ucware'],
    'api' => ['path' => '/api/2/'],
];
P
  cat > $d/etc/init/asterisk.conf <<A
# upstart job for asterisk, shipped by ucware-core $v
description "Asterisk PBX (UCware $v)"
start on runlevel [2345]
respawn
exec /usr/sbin/asterisk -f -U asterisk
A
  echo "$v" > $d/usr/share/ucware/VERSION
  cat > $d/DEBIAN/postinst <<'P'
#!/bin/sh
set -e
echo "ucware-core postinst: $1 ${2:-}"
# lab knob, off by default: `npm run lab -- set HOST postinst-delay SEC` makes this step take SEC s
if [ -r /run/lab-control/postinst-delay ]; then
  d=$(cat /run/lab-control/postinst-delay); echo "ucware-core postinst: lab postinst-delay, sleeping $d s"; sleep "$d"
fi
if [ -x /usr/sbin/ucware-lab-status ]; then /usr/sbin/ucware-lab-status || true; fi
exit 0
P
  chmod 755 $d/DEBIAN/postinst
  cat > $d/DEBIAN/preinst <<'P'
#!/bin/sh
set -e
# lab knob, off by default: `npm run lab -- set HOST preinst-delay SEC` makes the unpack phase last
if [ -r /run/lab-control/preinst-delay ]; then
  d=$(cat /run/lab-control/preinst-delay); echo "ucware-core preinst: lab preinst-delay, sleeping $d s"; sleep "$d"
fi
exit 0
P
  chmod 755 $d/DEBIAN/preinst
  deb $suite $d
}
meta() { # version suite extra-depends
  local v=$1 suite=$2 d=$B/ucware_$1
  mkdir -p $d/DEBIAN $d/usr/share/doc/ucware
  control ucware "$v" "UCware unified communications server $v (lab stand-in)" "ucware-core (= $v)${3:+, $3}" > $d/DEBIAN/control
  echo "UCware $v lab stand-in" > $d/usr/share/doc/ucware/README
  deb $suite $d
}
plain() { # name version suite description
  local d=$B/$1_$2
  mkdir -p $d/DEBIAN $d/usr/share/$1
  control "$1" "$2" "$4" > $d/DEBIAN/control
  echo "$1 $2" > $d/usr/share/$1/VERSION
  deb $3 $d
}

core 4.5.0.9 ucware-4.5;  meta 4.5.0.9 ucware-4.5
core 4.5.0.10 ucware-4.5; meta 4.5.0.10 ucware-4.5
core 5.0.2 ucware-5;      meta 5.0.2 ucware-5 "ucware-admin-client (>= 5.0.2)"
plain ucware-admin-client 5.0.2 ucware-5 "UCware 5 admin client (lab stand-in)"
plain ucware-firmware-yealink 1.0.0 ucware-firmware "Yealink phone firmware (lab stand-in)"
plain ucware-firmware-yealink 1.0.1 ucware-firmware "Yealink phone firmware (lab stand-in)"

for suite in ucware-4.5 ucware-5 ucware-firmware; do
  ( cd "$OUT.new/ubuntu/$suite"
    mkdir -p dists/bionic/main/binary-amd64 dists/bionic/main/binary-all
    apt-ftparchive packages pool > dists/bionic/main/binary-amd64/Packages
    cp dists/bionic/main/binary-amd64/Packages dists/bionic/main/binary-all/Packages
    gzip -9kn dists/bionic/main/binary-amd64/Packages dists/bionic/main/binary-all/Packages
    apt-ftparchive -o APT::FTPArchive::Release::Origin=UCware-lab -o APT::FTPArchive::Release::Label=$suite \
      -o APT::FTPArchive::Release::Suite=bionic -o APT::FTPArchive::Release::Codename=bionic \
      -o APT::FTPArchive::Release::Components=main -o "APT::FTPArchive::Release::Architectures=amd64 all" \
      release dists/bionic > dists/bionic/Release )
done
rm -rf "$OUT"; mv "$OUT.new" "$OUT"
