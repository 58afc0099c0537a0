// The UCware 4.5 patch upgrade on a real host (the LAST lab host; it is recreated afterwards
// with `npm run lab -- reset HOST`): dpkg left interrupted at a conffile prompt is repaired,
// ucware 4.5.0.9 → 4.5.0.10 moves with the locally modified conffiles kept (checksums
// unchanged, *.dpkg-dist reported), check mode first changes nothing, and a second run of
// every module reports no change.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { labOrSkip, run, sshOk, sshRoot } from '../fixtures/modules/labRun.ts';
import { aptUpgrade, assertVersion, debconfKeep, aptSources } from '../../modules/index.ts';

const lab = labOrSkip();
const H = lab?.hosts.at(-1)?.name ?? 'lab3';
const PHP = '/etc/ucware/ucware.php';
const files = [PHP, '/etc/init/asterisk.conf'];

test.after(() => {
  if (!lab) return;
  const r = spawnSync('npm', ['run', 'lab', '--', 'reset', H], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) console.log(`npm run lab -- reset ${H} failed: ${r.stderr}${r.stdout}`);
});

test('check mode: the simulation is the plan; nothing moves', async () => {
  if (!lab) return;
  sshOk(lab, H, 'apt-get -qq update');
  const r = await run(lab, H, [aptUpgrade({ mode: 'full' })], { check: true, diff: true });
  assert.is(r.exitCode, 0, r.out);
  assert.is(r.done[0]!.status, 'changed');
  assert.match(r.done[0]!.reason, /upgraded: .*ucware 4\.5\.0\.9 → 4\.5\.0\.10/);
  assert.match(r.out, /-ucware-core 4\.5\.0\.9\n.*\+ucware-core 4\.5\.0\.10|\+ucware-core 4\.5\.0\.10/s);
  assert.match(sshOk(lab, H, "dpkg-query -W -f='${Version}' ucware-core"), /^4\.5\.0\.9$/);
});

test('interrupted dpkg repaired, 4.5.0.9 → 4.5.0.10, conffiles kept, .dpkg-dist reported; second run changes nothing', async () => {
  if (!lab) return;
  const sumBefore = sshOk(lab, H, `sha256sum ${files.join(' ')}`);
  const tasks = () => [
    debconfKeep({ files }, { name: 'keep' }),
    aptUpgrade({ mode: 'full', update: true, clean: true }, { name: 'upgrade', timeoutSec: 900 }),
    debconfKeep({ files, verify: true }, { name: 'verify' }),
    assertVersion({ packages: ['ucware', 'ucware-core'], atLeast: '4.5.0.10', below: '5' }, { name: 'version' }),
  ];
  // what an admin's plain `apt-get -y upgrade` over ssh does: fails at the conffile prompt, leaves dpkg half done
  const broken = sshRoot(lab, H, 'DEBIAN_FRONTEND=noninteractive apt-get -y install ucware-core=4.5.0.10 </dev/null');
  assert.is.not(broken.code, 0, 'the plain apt-get was expected to fail at the conffile prompt');
  assert.ok(sshOk(lab, H, 'dpkg --audit; true').trim().length > 0, 'dpkg left unfinished');

  const r1 = await run(lab, H, tasks(), { diff: true });
  assert.is(r1.exitCode, 0, r1.out);
  assert.equal(r1.done.map((d) => `${d.task}:${d.status}`), ['keep:changed', 'upgrade:changed', 'verify:ok', 'version:ok']);
  assert.match(r1.done[1]!.reason, /^dpkg repaired; \d+ upgraded: .*ucware 4\.5\.0\.9 → 4\.5\.0\.10/);
  assert.match(r1.out, /dpkg was interrupted: dpkg --configure -a/);
  assert.match(r1.done[2]!.reason, /2 kept; package version left as \/etc\/ucware\/ucware\.php\.dpkg-dist \(\d+ lines differ\)/);
  assert.is(sshOk(lab, H, `sha256sum ${files.join(' ')}`), sumBefore, 'conffiles unchanged');
  assert.is(sshRoot(lab, H, `test -f ${PHP}.dpkg-dist`).code, 0);
  assert.match(sshOk(lab, H, "dpkg-query -W -f='${Version} ${db:Status-Abbrev}' ucware-core"), /^4\.5\.0\.10 ii/);

  const r2 = await run(lab, H, tasks());
  assert.is(r2.exitCode, 0, r2.out);
  assert.equal(r2.done.map((d) => `${d.task}:${d.status}`), ['keep:ok', 'upgrade:ok', 'verify:ok', 'version:ok']);
  assert.match(r2.done[1]!.reason, /lists updated; nothing to upgrade/);
  assert.is(r2.recap[H]!.changed, 0);
});

test('then to 5: sources edited, upgrade to 5.0.x keeps the conffile', async () => {
  if (!lab) return;
  const sum = sshOk(lab, H, `sha256sum ${PHP}`);
  const r = await run(lab, H, [
    aptSources({ file: '/etc/apt/sources.list.d/ucware.list', replace: { field: 'uri', from: 'ucware-4.5', to: 'ucware-5' } }),
    debconfKeep({ files: [PHP] }),
    aptUpgrade({ update: true }, { name: 'upgrade' }),
    debconfKeep({ files: [PHP], verify: true }),
    assertVersion({ packages: 'ucware-core', atLeast: '5' }),
  ]);
  assert.is(r.exitCode, 0, r.out);
  assert.match(r.done[2]!.reason, /ucware-core 4\.5\.0\.10 → 5\.0\.\d+/);
  assert.is(sshOk(lab, H, `sha256sum ${PHP}`), sum);
});

test.run();
