#!/bin/bash
# fixed-copy.sh [DIR]: a scratch copy of the runner with bench/exit-race-fix.patch applied (default /tmp/ucw-fixed),
# for `npm run bench -- --also-runner DIR:fix`. The repository's own code is not touched.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-/tmp/ucw-fixed}
rm -rf "$dir" && mkdir -p "$dir"
cp -a "$root"/{runner,modules,bin,lab,playbooks,inventory,package.json,tsconfig.json} "$dir"/
ln -sfn "$root/node_modules" "$dir/node_modules"
patch -d "$dir" -p1 --quiet < "$root/bench/exit-race-fix.patch"
echo "$dir"
