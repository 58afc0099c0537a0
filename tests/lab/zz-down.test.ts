// Runs last: idempotent up, growing the lab with a light host, and `down` leaving nothing behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { down, leftovers, reset, up } from '../../lab/lab.ts';
import { labDir, readLab } from '../../lab/state.ts';
import { labNet } from '../../lab/instance.ts';
import { bootId, ensureLab, host, ssh, sshOk } from '../../lab/testkit.ts';

test('a second up is a no-op (same boot ids)', async () => {
  const lab = await ensureLab(3);
  const before = lab.hosts.map((h) => bootId(lab, h));
  const t0 = Date.now();
  await up();
  assert.ok(Date.now() - t0 < 3000, 'warm no-op up is fast');
  assert.equal(
    lab.hosts.map((h) => bootId(lab, h)),
    before,
  );
});

test('npm run lab -- status --json lists the running hosts with version and boot id', async () => {
  const lab = await ensureLab(3);
  const out = execFileSync('npm', ['run', '--silent', 'lab', '--', 'status', '--json'], { encoding: 'utf8' });
  const st = JSON.parse(out) as { hosts: { name: string; address: string; phase: string; ucware: string; bootId: string }[] };
  for (const h of lab.hosts) {
    const s = st.hosts.find((x) => x.name === h.name)!;
    assert.is(s.address, h.address);
    assert.is(s.phase, 'up');
    assert.match(s.ucware, /^(4\.5\.0\.(9|10)|5\.0\.2)/);
    assert.is(s.bootId, bootId(lab, h));
  }
});

test('up 4 --light adds one light host (sshd + nginx, no MariaDB)', async () => {
  const n = readLab().hosts.length;
  await up({ hosts: n + 1, light: true });
  const lab = readLab();
  const h = lab.hosts[n];
  assert.is(lab.hosts.length, n + 1);
  assert.ok(h.light);
  assert.is(sshOk(lab, h, 'hostname'), h.name);
  assert.is.not(ssh(lab, h, 'pgrep mariadbd').code, 0);
  assert.is(sshOk(lab, h, "dpkg-query -W -f='${Version}' ucware-core"), '4.5.0.9');
  await reset([h.name]); // per-host reset keeps it light
  assert.ok(readLab().hosts[n].light);
});

test('down leaves no namespace, mount, link or process behind, and is idempotent', async () => {
  await down();
  const left = leftovers();
  assert.equal(left, { netns: [], mounts: [], processes: [], links: [] });
  assert.ok(!existsSync(join(labDir(), 'lab.json')));
  assert.not.ok(execFileSync('ip', ['route', 'show', 'type', 'unreachable'], { encoding: 'utf8' }).includes(`${labNet().net} `));
  assert.throws(() => readLab(), /the lab is not up/);
  await down();
  assert.equal(leftovers(), { netns: [], mounts: [], processes: [], links: [] });
});

test('up again after down: hosts keep their state (same host keys), extra hosts stay stopped', async () => {
  const t0 = Date.now();
  const lab = await ensureLab(3);
  const ms = Date.now() - t0;
  assert.is(lab.hosts.length, 3);
  assert.ok(ms < 20_000, `warm up took ${ms} ms`);
  assert.is(sshOk(lab, host(lab, 'lab1'), 'hostname'), 'lab1'); // known_hosts still valid
});

test.run();
