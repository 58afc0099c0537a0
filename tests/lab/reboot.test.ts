// Reboot simulation: reboot/shutdown -r/systemctl reboot end the host's processes (the calling SSH
// session included) and the host comes back with a new boot id; no-return; slow shutdown.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { set } from '../../lab/lab.ts';
import type { LabState } from '../../lab/state.ts';
import { bootId, ensureLab, host, https, sleep, ssh, waitNewBoot } from '../../lab/testkit.ts';

let lab: LabState;
test.before(async () => {
  lab = await ensureLab(3);
});
test.after(async () => {
  for (const h of ['lab1', 'lab2', 'lab3'])
    for (const k of ['no-return', 'reboot-delay', 'shutdown-delay', 'silent-when-down']) set(h, k, 'off');
  await ensureLab(3); // leave every host booted for the next test file
});

for (const [name, cmd] of [
  ['reboot', 'reboot; sleep 10; echo survived'],
  ['shutdown -r now', 'shutdown -r now; sleep 10; echo survived'],
  ['systemctl reboot', 'systemctl reboot; sleep 10; echo survived'],
]) {
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
      try {
        web = (await https(lab, h, '/admin/')).status === 200;
      } catch {
        /* nginx not yet */
      }
      if (!web) await sleep(100);
    }
    assert.ok(web, 'nginx came back');
    if (ssh(lab, h, 'cat /proc/1/comm').stdout.trim() === 'systemd') {
      // this boot's units: systemd's monotonic activation times
      const [sshd, nginx] = ssh(lab, h, 'systemctl show -p ActiveEnterTimestampMonotonic --value ssh nginx')
        .stdout.split('\n')
        .filter(Boolean)
        .map(Number);
      assert.ok(sshd > 0 && nginx > sshd, `sshd (${sshd} µs) is active before nginx (${nginx} µs)`);
    } else {
      const log = ssh(lab, h, 'cat /var/log/lab-init.log').stdout;
      const thisBoot = log.slice(log.lastIndexOf(`boot ${id}`));
      assert.match(thisBoot, /sshd started[\s\S]*nginx started/, 'sshd is started before nginx');
    }
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
    set('lab2', 'reboot-delay', '5');
    const old = bootId(lab, h)!;
    ssh(lab, h, 'reboot');
    // systemd takes a moment to shut down (sshd refuses meanwhile); once the host is off, connects time out
    const errors: string[] = [];
    for (let t = Date.now(); Date.now() - t < 15_000 && !/timed out|No route to host/.test(errors.at(-1) ?? '');) {
      const r = ssh(lab, h, 'true', { timeoutMs: 10_000 });
      if (r.code === 255) errors.push(r.stderr);
      else await sleep(200);
    }
    assert.match(errors.at(-1) ?? '', /timed out|No route to host/, errors.join(' | '));
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
  // lab-init: reboot returns and the session lives on; systemd stops the session's scope at once
  assert.ok(r.code === 0 || r.code === 255, `reboot: exit ${r.code}`);
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
  for (let t = Date.now(); Date.now() - t < 15_000 && bootId(lab, h) !== undefined;) await sleep(200);
  await sleep(2500); // longer than reboot-delay: a reboot would be back by now
  assert.is(bootId(lab, h), undefined, 'powered off');
  await up();
  const id = await waitNewBoot(lab, h, old);
  assert.is.not(id, old);
});

test.run();
