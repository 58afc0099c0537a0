// The UCware 4.5 patch upgrade on a real host (the LAST lab host; it is recreated afterwards
// with `npm run lab -- reset HOST`): dpkg left interrupted at a conffile prompt is repaired,
// ucware 4.5.0.9 → 4.5.0.10 moves with the locally modified conffiles kept (checksums
// unchanged, *.dpkg-dist reported), check mode first changes nothing, and a second run of
// every module reports no change.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { labOrSkip, run, sshOk, sshRoot } from '../fixtures/modules/labRun.ts';
import { aptUpgrade, assertVersion, debconfKeep, aptSources } from '../../modules/index.ts';

const lab = labOrSkip();
const H = lab?.hosts.at(-1)?.name ?? 'lab3';
const PHP = '/etc/ucware/ucware.php';
const files = [PHP, '/etc/init/asterisk.conf'];

// a fresh host before (other tests may have upgraded it) and after (leave it as a fresh 4.5 host)
const resetHost = () => {
  if (!lab) return;
  const r = spawnSync('npm', ['run', '--silent', 'lab', '--', 'reset', H], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`npm run lab -- reset ${H} failed: ${r.stderr}${r.stdout}`);
  // the host boots after reset returns: wait until it answers (and MariaDB etc. had a moment)
  for (let i = 0; i < 120 && sshRoot(lab, H, 'test -S /run/mysqld/mysqld.sock || test -e /etc/ucw-lab-light || true').code !== 0; i++)
    spawnSync('sleep', ['0.5']);
  if (sshRoot(lab, H, 'true').code !== 0) throw new Error(`${H} does not answer over ssh 60 s after reset`);
};
test.before(resetHost);
test.after(resetHost);

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

test('4.5.0.9 → 4.5.0.10 with the conffiles kept (checksums unchanged, .dpkg-dist reported); second run changes nothing', async () => {
  if (!lab) return;
  const sumBefore = sshOk(lab, H, `sha256sum ${files.join(' ')}`);
  const tasks = () => [
    debconfKeep({ files }, { name: 'keep' }),
    aptUpgrade({ mode: 'full', update: true, clean: true }, { name: 'upgrade', timeoutSec: 900 }),
    debconfKeep({ files, verify: true }, { name: 'verify' }),
    assertVersion({ packages: ['ucware', 'ucware-core'], atLeast: '4.5.0.10', below: '5' }, { name: 'version' }),
  ];
  const r1 = await run(lab, H, tasks(), { diff: true });
  assert.is(r1.exitCode, 0, r1.out);
  assert.equal(
    r1.done.map((d) => `${d.task}:${d.status}`),
    ['keep:changed', 'upgrade:changed', 'verify:ok', 'version:ok'],
  );
  assert.match(r1.done[1]!.reason, /^\d+ upgraded: .*ucware 4\.5\.0\.9 → 4\.5\.0\.10/, r1.done[1]!.reason);
  assert.match(r1.done[2]!.reason, /2 kept; package version left as \/etc\/ucware\/ucware\.php\.dpkg-dist \(\d+ lines differ\)/);
  assert.match(r1.out, /\+ucware-core 4\.5\.0\.10/);
  assert.is(sshOk(lab, H, `sha256sum ${files.join(' ')}`), sumBefore, 'conffiles unchanged');
  assert.match(sshOk(lab, H, "dpkg-query -W -f='${Version} ${db:Status-Abbrev}' ucware-core"), /^4\.5\.0\.10 ii/);

  const r2 = await run(lab, H, tasks());
  assert.is(r2.exitCode, 0, r2.out);
  assert.equal(
    r2.done.map((d) => `${d.task}:${d.status}`),
    ['keep:ok', 'upgrade:ok', 'verify:ok', 'version:ok'],
  );
  assert.match(r2.done[1]!.reason, /lists updated; nothing to upgrade/);
  assert.is(r2.recap[H]!.changed, 0);
});

test('to 5 after an interrupted dpkg: sources edited, dpkg repaired, 5.0.x installed, conffile kept', async () => {
  if (!lab) return;
  const sum = sshOk(lab, H, `sha256sum ${PHP}`);
  const r1 = await run(lab, H, [
    aptSources({
      file: '/etc/apt/sources.list.d/ucware.list',
      replace: { field: 'uri', from: 'ucware-4.5', to: 'ucware-5' },
      update: true,
    }),
  ]);
  assert.is(r1.exitCode, 0, r1.out);
  // what a plain `apt-get -y install` over ssh does: fails at the conffile prompt, leaves dpkg half done
  // (debconfKeep's apt.conf.d drop-in from the test before would make even that keep the file: take it away)
  const broken = sshRoot(
    lab,
    H,
    'rm -f /etc/apt/apt.conf.d/90ucw-keep-conffiles; DEBIAN_FRONTEND=noninteractive apt-get -y install ucware-core </dev/null',
  );
  assert.is.not(broken.code, 0, 'the plain apt-get was expected to fail at the conffile prompt');
  assert.ok(sshOk(lab, H, 'dpkg --audit; true').trim().length > 0, 'dpkg left unfinished');
  const r = await run(lab, H, [
    debconfKeep({ files: [PHP] }, { name: 'keep' }),
    aptUpgrade({ update: true }, { name: 'upgrade' }),
    debconfKeep({ files: [PHP], verify: true }, { name: 'verify' }),
    assertVersion({ packages: ['ucware', 'ucware-core'], atLeast: '5' }, { name: 'version' }),
  ]);
  assert.is(r.exitCode, 0, r.out);
  assert.equal(
    r.done.map((d) => `${d.task}:${d.status}`),
    ['keep:changed', 'upgrade:changed', 'verify:ok', 'version:ok'],
  );
  assert.match(r.done[1]!.reason, /^dpkg repaired; /, r.done[1]!.reason);
  assert.match(r.out, /dpkg was interrupted: dpkg --configure -a/);
  assert.is(sshOk(lab, H, `sha256sum ${PHP}`), sum);
  assert.is(sshOk(lab, H, 'dpkg --audit; true').trim(), '');
});

test('a held lists lock is waited for, naming the holder; past lockWaitSec the error names it too', async () => {
  if (!lab) return;
  const hold = readFileSync(new URL('../fixtures/modules/holdlock.pl', import.meta.url), 'utf8');
  sshOk(lab, H, 'cat > /tmp/holdlock.pl', hold);
  sshOk(lab, H, '(perl /tmp/holdlock.pl /var/lib/apt/lists/lock 4 >/dev/null 2>&1 &); sleep 0.5');
  const r1 = await run(lab, H, [aptUpgrade({ update: true, lockWaitSec: 60 })]);
  assert.is(r1.exitCode, 0, r1.out);
  assert.match(r1.out, /\/var\/lib\/apt\/lists\/lock is locked held by process \d+ \(perl\) \[.*holdlock\.pl.*\]; trying again in \d+ s/);
  sshOk(lab, H, '(perl /tmp/holdlock.pl /var/lib/apt/lists/lock 20 >/dev/null 2>&1 &); sleep 0.5');
  const r2 = await run(lab, H, [aptUpgrade({ update: true, lockWaitSec: 3 })]);
  assert.is(r2.exitCode, 2);
  assert.match(r2.out, /\/var\/lib\/apt\/lists\/lock still locked by process \d+ \(perl\) after 3 s of waiting/);
  sshRoot(lab, H, 'pkill -f holdlock.pl; rm -f /tmp/holdlock.pl');
});

test('a held dpkg lock (another apt, unattended-upgrades): the upgrade waits, naming the holder, then upgrades', async () => {
  if (!lab) return;
  resetHost();
  const hold = readFileSync(new URL('../fixtures/modules/holdlock.pl', import.meta.url), 'utf8');
  sshOk(lab, H, 'cat > /tmp/holdlock.pl', hold);
  sshOk(lab, H, '(perl /tmp/holdlock.pl /var/lib/dpkg/lock-frontend 5 >/dev/null 2>&1 &); sleep 0.5');
  const r = await run(lab, H, [aptUpgrade({ update: true, lockWaitSec: 60 })]);
  assert.is(r.exitCode, 0, r.out);
  // apt's own DPkg::Lock::Timeout would wait silently under -q: the runner waits and says who holds it
  assert.match(r.out, /\/var\/lib\/dpkg\/lock-frontend is locked held by process \d+ \(perl\) \[.*holdlock\.pl.*\]; trying again in \d+ s/);
  assert.is(sshOk(lab, H, "dpkg-query -W -f='${Version}' ucware-core"), '4.5.0.10');
  sshRoot(lab, H, 'pkill -f holdlock.pl; rm -f /tmp/holdlock.pl');
});

test.run();
