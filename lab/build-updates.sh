#!/bin/bash
# The suite's real OS updates for the lab repository: every package the Debian mirror's
# SUITE-updates and SUITE-security have newer than the image (the point release it was built
# from), with new dependencies. Where the mirror has nothing newer for a server the tests restart
# (mariadb, openssh, nginx), all installed binaries of that source are repackaged from the
# suite's current .deb with the version bumped to VERSION+lab1, keeping their maintainer scripts.
# Writes OUT/pool/*.deb, OUT/dists/SUITE-updates/main/binary-amd64/Packages[.gz], Release and
# OUT/lab-updates.txt ("package old new source", source = mirror or lab-repack).
# Usage: build-updates.sh IMAGE OUT SUITE MIRROR SECURITY_MIRROR DEBCACHE   (OUT replaced via OUT.new)
set -euo pipefail
IMG=$1 OUT=$2 SUITE=$3 M=$4 SEC=$5 DEBS=$6
W=$(mktemp -d /var/tmp/ucw-lab-updates.XXXXXX) R=
cleanup() { [ -n "$R" ] && for m in srv/debs proc ""; do umount -l "$R/$m" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT
mkdir -p "$W/upper" "$W/work" "$W/root" "$DEBS/partial"
R=$W/root
mount -t overlay overlay -o "lowerdir=$IMG,upperdir=$W/upper,workdir=$W/work" "$R"
mount -t proc proc "$R/proc"
mkdir -p "$R/srv/debs"; mount --bind "$DEBS" "$R/srv/debs"
cp /etc/resolv.conf "$R/etc/resolv.conf"
rm -f "$R"/etc/apt/sources.list.d/*
cat > "$R/etc/apt/sources.list" <<L
deb $M $SUITE main
deb $M $SUITE-updates main
deb $SEC $SUITE-security main
L
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
A=(-o Dir::Cache::archives=/srv/debs/ -o APT::Sandbox::User=root)
chroot "$R" apt-get "${A[@]}" update -q
# "Inst libssl3 [3.0.15-1~deb12u1] (3.0.16-1~deb12u1 Debian-Security:12/stable-security [amd64])"
chroot "$R" apt-get "${A[@]}" -s dist-upgrade | sed -n 's/^Inst \([^ ]*\) \(\[\([^]]*\)\] \)\{0,1\}(\([^ ]*\) [^[]*\[\([^]]*\)\]).*/\1 \3 \4 \5/p' > "$W/moves"
chroot "$R" apt-get "${A[@]}" -y -q --download-only dist-upgrade </dev/null
rm -rf "$OUT.new"; mkdir -p "$OUT.new/pool" "$OUT.new/dists/$SUITE-updates/main/binary-amd64"
: > "$OUT.new/lab-updates.txt"
while read -r pkg old new arch; do
  cp "$DEBS/${pkg}_${new//:/%3a}_${arch}.deb" "$OUT.new/pool/"
  echo "$pkg ${old:--} $new mirror" >> "$OUT.new/lab-updates.txt"
done < "$W/moves"

# the servers the end-to-end test restarts: repackage where the mirror has no update
chroot "$R" dpkg-query -W -f='${binary:Package} ${Version} ${source:Package} ${Architecture}\n' > "$W/installed"
for src in mariadb openssh nginx; do
  mapfile -t bins < <(awk -v s="$src" '$3 == s { sub(/:.*/, "", $1); print $1 }' "$W/installed")
  [ ${#bins[@]} -gt 0 ] || continue
  if grep -qE "^($(IFS='|'; echo "${bins[*]}")) " "$W/moves"; then continue; fi
  mkdir -p "$W/repack/$src"
  for b in "${bins[@]}"; do
    read -r _ ver _ arch < <(awk -v p="$b" '{ q = $1; sub(/:.*/, "", q) } q == p' "$W/installed")
    ( cd "$W/repack/$src" && chroot "$R" sh -c "cd /srv/debs && apt-get download -q '$b=$ver'" >/dev/null )
    f="$DEBS/${b}_${ver//:/%3a}_${arch}.deb"
    d="$W/repack/$src/$b"; rm -rf "$d"; dpkg-deb -R "$f" "$d"
    # new version; exact dependencies between the binaries of this source follow it
    sed -i -e "s/^Version: .*/Version: $ver+lab1/" "$d/DEBIAN/control"
    for o in $(awk -v s="$src" '$3 == s { print $2 }' "$W/installed" | sort -u); do
      sed -i -e "/^\(Depends\|Pre-Depends\|Recommends\|Breaks\): /s/(= ${o//./\\.})/(= $o+lab1)/g" "$d/DEBIAN/control"
    done
    dpkg-deb --root-owner-group -Zxz -b "$d" "$OUT.new/pool/${b}_${ver//:/%3a}+lab1_${arch}.deb" >/dev/null
    echo "$b $ver $ver+lab1 lab-repack" >> "$OUT.new/lab-updates.txt"
  done
done

( cd "$OUT.new"
  apt-ftparchive packages pool > "dists/$SUITE-updates/main/binary-amd64/Packages"
  gzip -9kn "dists/$SUITE-updates/main/binary-amd64/Packages"
  apt-ftparchive -o APT::FTPArchive::Release::Origin=Debian-lab -o "APT::FTPArchive::Release::Label=$SUITE real updates (lab)" \
    -o "APT::FTPArchive::Release::Suite=$SUITE-updates" -o "APT::FTPArchive::Release::Codename=$SUITE-updates" \
    -o APT::FTPArchive::Release::Components=main -o "APT::FTPArchive::Release::Architectures=amd64" \
    release "dists/$SUITE-updates" > "dists/$SUITE-updates/Release" )
rm -rf "$OUT"; mv "$OUT.new" "$OUT"
echo "$(wc -l < "$OUT/lab-updates.txt") updates for $SUITE: $(awk '{ print $4 }' "$OUT/lab-updates.txt" | sort | uniq -c | xargs)"
