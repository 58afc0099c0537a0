#!/usr/bin/env bash
# What a machine needs to run the tests and the lab (root, Debian/Ubuntu): `npm run setup`.
# qemu-system-x86 + qemu-utils: the real-kernel reboot test (tests/faults/qemu.test.ts, lab/vm/).
# chromium + tmux: the fleet report in a headless browser, the live view on a real terminal (tests/lab/report.test.ts, tests/controller/terminal.test.ts).
# Idempotent: apt-get runs only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for p in openssh-server openssh-client sudo ca-certificates qemu-system-x86 qemu-utils chromium tmux; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
node --import tsx lab/cli.ts deps
