#!/bin/bash
# Stage 1 of the lab image: a pristine debootstrap of a Debian release (minbase + a few tools).
# Usage: build-base.sh TARGET MIRROR SUITE   (TARGET must not exist; written atomically via TARGET.new)
set -euo pipefail
T=$1 M=$2 S=${3:-bookworm}
INCLUDE=openssh-server,openssh-client,iproute2,procps,ca-certificates,apt-utils,less,nano,python3,lsb-release,sudo,curl
rm -rf "$T.new"
debootstrap --variant=minbase --include=$INCLUDE "$S" "$T.new" "$M"
mv "$T.new" "$T"
