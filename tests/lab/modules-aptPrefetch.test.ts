// aptPrefetch on a real lab host with the lab repository's real OS updates on (lab3, recreated
// afterwards): both phases' packages downloaded and hash-checked while nothing is installed and
// the host's sources stay as they were; a too-full /var/cache/apt/archives downloads nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { labOrSkip, run, sshOk } from '../fixtures/modules/labRun.ts';
import { reset, set } from '../../lab/lab.ts';
import { labDir } from '../../lab/state.ts';
import { aptPrefetch, type AptPrefetchResult } from '../../modules/aptPrefetch.ts';

const lab = labOrSkip();
const H = 'lab3';
const next = { listFile: '/etc/apt/sources.list.d/ucware.list', from: 'ucware-4.5', to: 'ucware-5' };
/** What must not change: installed packages, sources, the host's own lists. */
const state = () =>
  sshOk(
    lab!,
    H,
    "dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\\n'; sha256sum /etc/apt/sources.list.d/*; ls /var/lib/apt/lists | grep -v -e lock -e partial | grep -c ucware-5 || true",
  );
const printUris = () => sshOk(lab!, H, 'apt-get -qq -y --print-uris -o Debug::NoLocking=1 dist-upgrade </dev/null');

function inHost(script: string): void {
  const pid = readFileSync(join(labDir(), 'hosts', H, 'init.pid'), 'utf8').trim();
  const r = spawnSync('nsenter', ['-t', pid, '-m', '-r', '-w', '--', 'sh', '-ec', script], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
}

test.before(async () => {
  if (!lab) return;
  await reset([H]);
  set(H, 'os-updates', 'on');
});
test.after(async () => {
  if (lab) await reset([H]);
});

test('prefetch downloads both phases, verified; nothing installed, sources and lists of the host unchanged; the upgrade then needs nothing more', async () => {
  if (!lab) return;
  const before = state();
  const r = await run(lab, H, [aptPrefetch({ next }, { name: 'prefetch', id: 'pf', timeoutSec: 600 })]);
  assert.is(r.exitCode, 0, r.out);
  const d = r.done[0]!;
  assert.is(d.status, 'changed', r.out);
  const res = r.results[`${H}:prefetch`] as AptPrefetchResult;
  assert.ok(res.listsRefreshed);
  // the suite's real updates (lab/build-updates.sh; seen: bookworm 43, bullseye 73, trixie 20)
  assert.ok(res.ubuntu.packages >= 9 && res.ubuntu.bytes > 1e6, JSON.stringify(res));
  // ucware, ucware-core 5.0.2 and the new ucware-admin-client come only with the ucware-5 sources
  assert.ok(res.next!.packages >= 3, JSON.stringify(res));
  assert.is(res.prefetchedBytes, res.ubuntu.bytes + res.next!.bytes);
  assert.match(d.reason, /^lists refreshed; prefetched \d+ package\(s\), [\d.]+ MB, hashes verified \(ucware-5: \d+/);
  assert.is(state(), before, "installed packages, sources and the host's ucware-5 lists unchanged");
  assert.is(printUris(), '', 'the Ubuntu phase finds everything in the cache');
  assert.match(sshOk(lab, H, 'ls /var/cache/apt/archives'), /ucware-admin-client_5\.0\.2_all\.deb/);
  assert.match(sshOk(lab, H, `ls ${res.next!.lists}`), /ucware-5_dists_bionic/);
  const again = await run(lab, H, [aptPrefetch({ next, update: false }, { name: 'prefetch again' })]);
  assert.match(again.done[0]!.reason, /prefetched 0 package\(s\), 0\.0 MB/);
});

test('not enough space on /var/cache/apt/archives: fails before downloading, names the sizes; nothing else changed', async () => {
  if (!lab) return;
  inHost(
    'rm -f /var/cache/apt/archives/*.deb; mount -t tmpfs -o size=2m,mode=755 ucw-prefetch-full /var/cache/apt/archives; mkdir -m 700 /var/cache/apt/archives/partial; chown _apt:root /var/cache/apt/archives/partial',
  );
  try {
    const before = state();
    const r = await run(lab, H, [aptPrefetch({ next, reserveMb: 1 }, { name: 'prefetch' })]);
    assert.is(r.exitCode, 2, r.out);
    assert.match(
      r.done[0]!.error ?? '',
      /not enough space to prefetch: \d+ MiB free on \/var\/cache\/apt\/archives, the packages need [\d.]+ MiB plus 1 MiB kept free; nothing downloaded/,
    );
    assert.is(sshOk(lab, H, 'ls /var/cache/apt/archives /var/cache/apt/archives/partial | grep -c deb || true').trim(), '0');
    assert.is(state(), before);
  } finally {
    inHost('umount /var/cache/apt/archives');
  }
});

test.run();
