// Reboot simulation: reboot/shutdown -r/systemctl reboot end the host's processes (the calling SSH
// session included) and the host comes back with a new boot id; no-return; slow shutdown.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { set } from '../../lab/lab.ts';
import type { LabState } from '../../lab/state.ts';
import { bootId, ensureLab, host, https, sleep, ssh, waitNewBoot } from '../../lab/testkit.ts';

let lab: LabState;
test.before(async () => { lab = await ensureLab(3); });
test.after(async () => {
  for (const h of ['lab1', 'lab2', 'lab3']) for (const k of ['no-return', 'reboot-delay', 'shutdown-delay', 'silent-when-down']) set(h, k, 'off');
  await ensureLab(3);   // leave every host booted for the next test file
});

for (const [name, cmd] of [['reboot', 'reboot; sleep 10; echo survived'], ['shutdown -r now', 'shutdown -r now; sleep 10; echo survived'], ['systemctl reboot', 'systemctl reboot; sleep 10; echo survived']]) {
  test(`${name}: the session dies, the host comes back with a new boot id, sshd before nginx`, async () => {
    const h = host(lab, 'lab1');
    set('lab1', 'reboot-delay', '1');
    const old = bootId(lab, h)!;
    const t0 = Date.now();
    const r = ssh(lab, h, cmd);
    assert.not.match(r.stdout, /survived/);
    assert.is(r.code, 255, 'the SSH session was killed by the reboot');
    const id = await waitNewBoot(lab, h, old);
    assert.is.not(id, old);
    const tBack = Date.now() - t0;
    assert.ok(tBack >= 1000, `came back after ${tBack} ms (reboot-delay 1 s)`);
    let web = false;
    for (let i = 0; i < 100 && !web; i++) {
      try { web = (await https(lab, h, '/admin/')).status === 200; } catch { /* nginx not yet */ }
      if (!web) await sleep(100);
    }
    assert.ok(web, 'nginx came back');
    const log = ssh(lab, h, 'cat /var/log/lab-init.log').stdout;
    const thisBoot = log.slice(log.lastIndexOf(`boot ${id}`));
    assert.match(thisBoot, /sshd started[\s\S]*nginx started/, 'sshd is started before nginx');
  });
}

test('a host told not to come back stays down until `set no-return off`', async () => {
  const h = host(lab, 'lab2');
  set('lab2', 'reboot-delay', '0.5');
  set('lab2', 'no-return', 'on');
  const old = bootId(lab, h)!;
  ssh(lab, h, 'reboot');
  await sleep(3000);
  assert.is(bootId(lab, h), undefined, 'still down');
  set('lab2', 'no-return', 'off');
  const id = await waitNewBoot(lab, h, old);
  assert.is.not(id, old);
});

test('silent-when-down: while the host is down, connects time out instead of being refused', async () => {
  const h = host(lab, 'lab2');
  set('lab2', 'silent-when-down', 'on');
  set('lab2', 'reboot-delay', '3');
  try {
    const old = bootId(lab, h)!;
    ssh(lab, h, 'reboot');
    await sleep(1500);
    const r = ssh(lab, h, 'true', { timeoutMs: 10_000 });
    assert.is(r.code, 255);
    assert.match(r.stderr, /timed out|No route to host/);
    await waitNewBoot(lab, h, old);
  } finally {
    set('lab2', 'silent-when-down', 'off');
  }
});

test('shutdown-delay: sshd keeps answering with the OLD boot id for a while after reboot', async () => {
  const h = host(lab, 'lab3');
  set('lab3', 'shutdown-delay', '2');
  set('lab3', 'reboot-delay', '0.5');
  const old = bootId(lab, h)!;
  const r = ssh(lab, h, 'reboot');
  assert.is(r.code, 0, 'reboot returns; the host goes down later');
  await sleep(700);
  assert.is(bootId(lab, h), old, 'old boot id during the slow shutdown');
  const id = await waitNewBoot(lab, h, old);
  assert.is.not(id, old);
});

test('poweroff: the host stays down until `up`', async () => {
  const { up } = await import('../../lab/lab.ts');
  const h = host(lab, 'lab3');
  set('lab3', 'reboot-delay', '0.5');
  set('lab3', 'shutdown-delay', 'off');
  const old = bootId(lab, h)!;
  ssh(lab, h, 'poweroff');
  await sleep(2500);
  assert.is(bootId(lab, h), undefined, 'powered off');
  await up();
  const id = await waitNewBoot(lab, h, old);
  assert.is.not(id, old);
});

test.run();
