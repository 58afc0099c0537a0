// playbooks/baseline.ts end to end on a fresh lab host (lab3, reset before and after): --check
// changes nothing, the first run changes, the second changes nothing, the end state is read back.
// The lab hosts reach no Debian mirror, so chrony cannot be installed: the time unit is a stand-in
// unit written before the run (a real unit under real systemd); on a host without systemd the
// unit tasks are switched off (vars.baseline.systemd: false).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reset } from '../../lab/lab.ts';
import { readLab } from '../../lab/state.ts';
import { hostDiagnosis, labOrSkip, root, sshOk, sshRoot } from '../fixtures/modules/labRun.ts';
import { runPlaybook } from '../../runner/cli/run.ts';

const H = 'lab3';
const TIME_UNIT = 'ucw-timesync-standin.service';
let lab = labOrSkip();

function inventory(): string {
  const l = lab!;
  const h = l.hosts.find((x) => x.name === H)!;
  const systemd = sshRoot(l, H, 'test -d /run/systemd/system').code === 0;
  const key = readFileSync(l.keyFile + '.pub', 'utf8').trim();
  const file = join(root, 'baseline-inv.yml');
  writeFileSync(
    file,
    `all:\n  vars:\n    user: root\n    identityFile: ${l.keyFile}\n    knownHostsFile: ${l.knownHostsFile}\n    hostKeyChecking: strict\n  hosts:\n    ${H}:\n      address: ${h.address}\n      baseline:\n        admin: opsadmin\n        adminKeys: ['${key}']\n        packages: ['ucware-firmware-yealink=1.0.1']\n        timeUnit: ${TIME_UNIT}\n        systemd: ${systemd}\n`,
  );
  return file;
}

const runIt = async (inv: string, check = false) => {
  const lines: string[] = [];
  const r = await runPlaybook({
    playbook: 'playbooks/baseline.ts',
    inventory: inv,
    limit: H,
    logsDir: join(root, 'logs'),
    view: 'plain',
    write: (l) => lines.push(l),
    check,
  });
  return { ...r, out: lines.join('\n'), counts: r.recap[H] as { ok: number; changed: number; failed: number } };
};

test('baseline: --check changes nothing, first run changes, second run changes nothing; end state on the host', async () => {
  if (!lab) return;
  await reset([H]);
  lab = readLab();
  try {
    sshOk(
      lab,
      H,
      `printf '[Unit]\\nDescription=time sync stand-in (chrony)\\n[Service]\\nExecStart=/bin/sleep infinity\\n[Install]\\nWantedBy=multi-user.target\\n' > /etc/systemd/system/${TIME_UNIT}`,
    );
    // no daemon-reload: systemd reads a never-loaded unit from disk when asked
    const inv = inventory();
    // a failed run's message also shows the lab's view of the host (did it reboot, does sshd listen?)
    const passed = (r: { exitCode: number; out: string }) =>
      assert.is(r.exitCode, 0, r.exitCode === 0 ? '' : `${r.out}\n${hostDiagnosis(lab!, H)}`);
    const c = await runIt(inv, true);
    passed(c);
    assert.is(sshRoot(lab, H, 'getent passwd opsadmin').code, 2, '--check created nothing');
    const r1 = await runIt(inv);
    passed(r1);
    assert.ok(r1.counts.changed >= 7, `first run: ${JSON.stringify(r1.counts)}\n${r1.out}`);
    // starts within milliseconds of r1's "reload sshd" handler, while sshd re-executes itself
    const r2 = await runIt(inv);
    passed(r2);
    assert.is(r2.counts.changed, 0, `second run changed something:\n${r2.out}`);
    const state = sshOk(
      lab,
      H,
      "id -Gn opsadmin; stat -c '%a %U' /home/opsadmin/.ssh/authorized_keys /etc/sudoers.d/baseline-opsadmin; visudo -c >/dev/null && echo sudoers-ok; " +
        "sshd -t && echo sshd-ok; grep -c '^# BEGIN baseline' /etc/ssh/sshd_config; sysctl -n net.ipv4.tcp_syncookies net.ipv4.conf.all.accept_redirects; cat /etc/cron.d/baseline; dpkg-query -W -f='${Version}\\n' ucware-firmware-yealink",
    );
    assert.is(
      state,
      'opsadmin sudo\n600 opsadmin\n440 root\nsudoers-ok\nsshd-ok\n1\n1\n0\n# ucw-runner: baseline apt lists\n17 3 * * * root apt-get -qq update >/dev/null 2>&1\n1.0.1\n',
    );
    assert.is(sshOk(lab, H, 'su - opsadmin -c "sudo -n true && echo sudo-ok"').trim(), 'sudo-ok');
    if (sshRoot(lab, H, 'test -d /run/systemd/system').code === 0)
      assert.is(sshOk(lab, H, `systemctl is-active ${TIME_UNIT}; systemctl is-enabled ${TIME_UNIT}`), 'active\nenabled\n');
  } finally {
    await reset([H]);
  }
});

test.run();
