// systemd on a lab host that runs real systemd (the systemd lab); skipped, saying so, on hosts
// whose PID 1 is lab-init with a shell stand-in for systemctl. A unit file written on the host
// and then edited makes systemd ask for daemon-reload; a unit that cannot start fails with its status and journal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { labOrSkip, run, sshOk, sshRoot } from '../fixtures/modules/labRun.ts';
import { systemd } from '../../modules/index.ts';

const lab = labOrSkip();
const H = 'lab1';
const real = lab && sshRoot(lab, H, 'test -d /run/systemd/system').code === 0;
if (lab && !real) console.log(`toolbox-systemd skipped: ${H} does not run systemd (shell stand-in for systemctl)`);
const U = 'ucwtool-demo.service';

// a run that failed half-way leaves the demo unit running: start from none
test.before(() => {
  if (lab && real)
    sshRoot(
      lab,
      H,
      `systemctl disable --now ${U}; systemctl unmask ${U}; rm -f /usr/lib/systemd/system/${U}; systemctl daemon-reload; true`,
    );
});

test('stop, start, disable, enable: changed once each, then ok', async () => {
  if (!lab || !real) return;
  sshOk(
    lab,
    H,
    `printf '[Unit]\\nDescription=ucw toolbox demo\\n[Service]\\nExecStart=/bin/sleep infinity\\n[Install]\\nWantedBy=multi-user.target\\n' > /usr/lib/systemd/system/${U}`,
  );
  const up = systemd({ name: U, state: 'started', enabled: true });
  const r1 = await run(lab, H, [up, up]);
  assert.equal(
    r1.done.map((d) => d.status),
    ['changed', 'ok'],
    r1.out,
  );
  assert.is(sshOk(lab, H, `systemctl is-active ${U}; systemctl is-enabled ${U}`), 'active\nenabled\n');
  // a loaded unit whose file changes on disk: systemd says NeedDaemonReload (a never-loaded one is read fresh)
  sshOk(lab, H, `sed -i 's/^Description=.*/Description=ucw toolbox demo, edited/' /usr/lib/systemd/system/${U}`);
  const r1b = await run(lab, H, [up, up]);
  assert.equal(
    r1b.done.map((d) => d.status),
    ['changed', 'ok'],
    r1b.out,
  );
  assert.match(r1b.done[0]!.reason, /unit files changed: daemon-reload/);
  assert.is(sshOk(lab, H, `systemctl show -p Description --value ${U}`), 'ucw toolbox demo, edited\n');
  const down = systemd({ name: U, state: 'stopped', enabled: false });
  const r2 = await run(lab, H, [down, down]);
  assert.equal(
    r2.done.map((d) => d.status),
    ['changed', 'ok'],
    r2.out,
  );
  const masked = await run(lab, H, [systemd({ name: U, masked: true }), systemd({ name: U, state: 'started' })]);
  assert.match(masked.out, /is masked; unmask it/);
  await run(lab, H, [systemd({ name: U, masked: false })]);
});

test('a unit that cannot start: the failure carries systemctl status and the journal', async () => {
  if (!lab || !real) return;
  sshOk(
    lab,
    H,
    `printf '[Service]\\nType=oneshot\\nExecStart=/bin/sh -c "echo ucwtool-broken-start >&2; exit 3"\\n' > /etc/systemd/system/ucwtool-broken.service`,
  );
  const r = await run(lab, H, [systemd({ name: 'ucwtool-broken', state: 'started', daemonReload: true })]);
  assert.is(r.exitCode, 2);
  assert.match(r.out, /systemctl status and journal/, r.out);
  assert.match(r.out, /ucwtool-broken-start/);
  sshOk(lab, H, `rm -f /etc/systemd/system/ucwtool-broken.service /usr/lib/systemd/system/${U}; systemctl daemon-reload`);
});

test.run();
