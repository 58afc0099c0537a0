// The upgrade's prefetch on a host whose /var cannot hold the packages (tests/faults/RESULTS.md):
// /var/cache/apt/archives a 120 MB tmpfs on lab1 (above the 100 MiB kept free, below that plus the bytes to fetch) with the real OS updates on (about 43 MB to
// fetch, 100 MiB to keep free): preflight says NO-GO for lab1 with the sizes, the rollout stops
// before anything changes, and nothing but the package lists (refreshed, reported) moved.
// lab1 is recreated afterwards.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLab, sshOk } from '../../lab/testkit.ts';
import { reset, set } from '../../lab/lab.ts';
import { labDir, type LabState } from '../../lab/state.ts';
import { runPlaybook } from '../../runner/cli/run.ts';
import { record, writeResults } from './results.ts';

const H = 'lab1';
let lab: LabState;
const host = () => lab.hosts.find((h) => h.name === H)!;
const inHost = (script: string) => {
  const pid = readFileSync(join(labDir(), 'hosts', H, 'init.pid'), 'utf8').trim();
  const r = spawnSync('nsenter', ['-t', pid, '-m', '-r', '-w', '--', 'sh', '-ec', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nsenter ${H}: ${r.stderr}`);
};
const state = () =>
  sshOk(
    lab,
    host(),
    "dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\\n'; dpkg --audit; sha256sum /etc/apt/sources.list.d/* /etc/ucware/ucware.php; ls /var/cache/apt/archives /var/cache/apt/archives/partial | grep -c '\\.deb' || true",
  );

test.before(async () => {
  lab = await ensureLab(3);
  await reset([H]);
  set(H, 'os-updates', 'on');
});
test.after(async () => {
  await reset([H]);
  writeResults();
});

test('/var/cache/apt/archives too small for the prefetch: NO-GO for the host with the sizes; the rollout stops; nothing installed, no package downloaded', async () => {
  inHost(
    'mount -t tmpfs -o size=120m,mode=755 ucw-prefetch-full /var/cache/apt/archives; mkdir -m 700 /var/cache/apt/archives/partial; chown _apt:root /var/cache/apt/archives/partial',
  );
  try {
    const before = state();
    const lines: string[] = [];
    const t = Date.now();
    const r = await runPlaybook({
      playbook: 'upgrade',
      inventory: 'inventory/lab.ts',
      limit: H,
      logsDir: mkdtempSync(join(tmpdir(), 'ucw-prefetch-fault-')),
      view: 'plain',
      write: (l) => lines.push(l),
    });
    const out = lines.join('\n');
    const after = state();
    const noGo = lines.find((l) => new RegExp(`^\\S+ +${H} +NO-GO`).test(l)) ?? '';
    const pass =
      r.exitCode === 2 &&
      /not enough space to prefetch: \d+ MiB free on \/var\/cache\/apt\/archives, the packages need [\d.]+ MiB plus 100 MiB kept free; nothing downloaded/.test(
        noGo,
      ) &&
      /ROLLOUT STOPPED: preflight: 1 of 1 hosts are NO-GO/.test(out) &&
      after === before;
    record({
      fault:
        '/var too small for the prefetch: /var/cache/apt/archives a 120 MB tmpfs on lab1 (above the 100 MiB kept free, below that plus the bytes to fetch), real OS updates on (run upgrade, preflight with prefetch)',
      expected:
        'NO-GO for the host naming the sizes, before anything is downloaded; the rollout stops; nothing installed or downloaded (the lists refresh is allowed and reported)',
      observed: `exit ${r.exitCode} after ${((Date.now() - t) / 1000).toFixed(1)} s; ${noGo.replace(/^\S+ +/, '').trim()}; ${lines.find((l) => /ROLLOUT STOPPED/.test(l))?.replace(/^\S+ /, '') ?? 'no stop line'}; packages, dpkg --audit, sources, ucware.php and the .deb count ${after === before ? 'unchanged' : 'CHANGED'}`,
      pass,
    });
    assert.ok(pass, `${out}\nbefore:\n${before}\nafter:\n${after}`);
  } finally {
    inHost('umount /var/cache/apt/archives');
  }
});

test.run();
