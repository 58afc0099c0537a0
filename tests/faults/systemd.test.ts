// Faults that need a real systemd on the host (lab hosts boot systemd as PID 1), recorded for
// tests/faults/RESULTS.md:
//  - unattended-upgrades (started as apt-daily-upgrade.service starts it) holds the dpkg lock
//    when our upgrade starts: we wait, the output names the holder, we go on;
//  - openssh-server upgraded during the run: its postinst restarts sshd while our connection
//    and the detached apt job are open; the run finishes and reports the truth, a fresh login works;
//  - the mirror image (seen on bookworm → trixie with restarts deferred): the old sshd keeps
//    running and the connection that ran the upgrade is fine, but every NEW connection is reset
//    until sshd is restarted (reproduced: the old listener re-executes a /usr/sbin/sshd that no
//    longer serves its connections, as OpenSSH 10's split-out sshd-session does to a 9.x listener);
//  - a unit that takes 20 s to stop during reboot;
//  - a server that fails to start after the upgrade's reboot: the verify step fails, the host
//    fails and the rollout (serial 1) stops.
// Every host used is recreated (`lab reset`) afterwards.
import { test } from 'uvu';
import { spawn } from 'node:child_process';
import * as assert from 'uvu/assert';
import { reset, set } from '../../lab/lab.ts';
import { ensureLab, sleep } from '../../lab/testkit.ts';
import { readLab, type LabState } from '../../lab/state.ts';
import { run, sshOk, sshRoot } from '../fixtures/modules/labRun.ts';
import { aptUpgrade, debconfKeep, httpCheck, reboot, shell } from '../../modules/index.ts';
import { noFailedUnits } from '../../playbooks/upgrade-4.5-to-5.ts';
import { record, writeResults } from './results.ts';
import { labSshArgs } from '../../lab/sshArgs.ts';

const HOSTS = ['lab1', 'lab2', 'lab3'];
let lab: LabState;
const secs = (ms: number) => (ms / 1000).toFixed(1);
const CONFFILES = ['/etc/init/asterisk.conf', '/etc/ucware/ucware.php'];
const upgrade = () => [
  debconfKeep({ files: CONFFILES }, { name: 'keep conffiles' }),
  aptUpgrade({ mode: 'full', update: true }, { name: 'upgrade', timeoutSec: 900 }),
];
const mainPid = (h: string, unit: string) => sshOk(lab, h, `systemctl show -p MainPID --value ${unit}`).trim();
const bootId = (h: string) => sshRoot(lab, h, 'cat /proc/sys/kernel/random/boot_id').stdout.trim();

test.before(async () => {
  lab = await ensureLab(3);
  if (lab.hosts.slice(0, 3).some((h) => h.init !== 'systemd'))
    throw new Error('these faults need systemd hosts (LAB_INIT=lab-init was set when they were made)');
  await reset(HOSTS);
  lab = readLab();
});
test.after(async () => {
  for (const h of HOSTS)
    for (const [k, v] of [
      ['shutdown-delay', 'off'],
      ['fail-unit', 'off'],
      ['os-updates', 'off'],
    ])
      set(h, k!, v!);
  await reset(HOSTS);
  writeResults();
});

test('unattended-upgrades holds the dpkg lock when the upgrade starts: we wait, name the holder, go on', async () => {
  const H = 'lab1';
  set(H, 'os-updates', 'on');
  // as on a server where the daily job is on, installing the suite's updates in one dpkg run
  sshOk(
    lab,
    H,
    [
      'printf \'APT::Periodic::Update-Package-Lists "1";\\nAPT::Periodic::Unattended-Upgrade "1";\\n\' > /etc/apt/apt.conf.d/20auto-upgrades',
      'printf \'Unattended-Upgrade::Origins-Pattern { "origin=Debian-lab"; };\\nUnattended-Upgrade::MinimalSteps "false";\\n\' > /etc/apt/apt.conf.d/51lab-unattended',
      'systemctl start apt-daily.service', // its lists first, as the timers order it
      'systemctl start --no-block apt-daily-upgrade.service',
    ].join('; '),
  );
  let holder = '';
  for (let t = Date.now(); Date.now() - t < 120_000 && !holder; await sleep(200)) {
    holder = sshRoot(
      lab,
      H,
      'pgrep -a -f "^/usr/bin/python3 /usr/bin/unattended-upgrade" | head -1; pgrep -x dpkg >/dev/null && echo dpkg',
    ).stdout.trim();
    if (!holder.includes('dpkg')) holder = '';
  }
  assert.ok(holder, 'unattended-upgrades started dpkg');
  const t0 = Date.now();
  const r = await run(lab, H, upgrade());
  const ms = Date.now() - t0;
  const uuActive = sshRoot(lab, H, 'systemctl is-active apt-daily-upgrade.service').stdout.trim();
  const named = /held by process \d+ \(unattended-upgr\)|unattended-upgr/.exec(r.out)?.[0];
  const versions = sshOk(lab, H, "dpkg-query -W -f='${Package} ${Version}\\n' ucware-core mariadb-server").trim().replace(/\n/g, ', ');
  const uuLog = sshRoot(lab, H, 'tail -n 2 /var/log/unattended-upgrades/unattended-upgrades.log').stdout.trim().replace(/\n/g, ' / ');
  const pass = r.exitCode === 0 && !!named && /ucware-core 4\.5\.0\.10/.test(versions) && !/10\.11\.18/.test(versions);
  record({
    fault:
      "unattended-upgrades (via apt-daily-upgrade.service) holds the dpkg lock, installing the suite's real updates, when the upgrade starts (lab1, systemd)",
    expected: 'we wait, the output names the holder, we go on; both its updates and ours installed',
    observed:
      `exit ${r.exitCode} after ${secs(ms)} s; holder named: ${named ?? 'NO'}; apt-daily-upgrade.service ${uuActive} afterwards; ${versions}; u-u log: ${uuLog}` +
      (pass
        ? ''
        : `; ${
            r.done
              .find((d) => d.status === 'failed')
              ?.error?.split('\n')
              .filter((l) => /lock|failed/.test(l))
              .slice(0, 2)
              .map((l) => l.trim())
              .join(' / ') ?? ''
          }`),
    pass,
  });
  assert.ok(pass, r.out);
});

test('openssh-server upgraded during the run: sshd restarted under our open connection; the run finishes and reports it; a fresh login works', async () => {
  const H = 'lab2';
  set(H, 'os-updates', 'on');
  const before = mainPid(H, 'ssh');
  const version = () => sshOk(lab, H, "dpkg-query -W -f='${Version}' openssh-server").trim();
  const v0 = version();
  const t0 = Date.now();
  const r = await run(lab, H, upgrade());
  const ms = Date.now() - t0;
  const after = mainPid(H, 'ssh');
  const v1 = version();
  // the task's reason abbreviates a long list; its output has every package it moved
  const ssh = r.out.includes(`Setting up openssh-server (${v1})`) ? `openssh-server ${v0} → ${v1}` : undefined;
  const fresh = sshRoot(lab, H, 'echo fresh').stdout.trim();
  const pass =
    r.exitCode === 0 && r.done[1]?.status === 'changed' && !!ssh && v1 !== v0 && after !== before && after !== '0' && fresh === 'fresh';
  record({
    fault:
      'openssh-server upgraded by the run itself (lab2: its postinst restarts ssh.service while our connection and the detached apt job are open)',
    expected: 'the run finishes and reports the truth; sshd is the new process; a fresh connection logs in',
    observed: `exit ${r.exitCode} after ${secs(ms)} s, ${r.done[1]?.status}: ${(r.done[1]?.reason ?? '').split(':')[0]}, among them ${ssh ?? `openssh-server NOT reported (${v0} → ${v1})`}; sshd main pid ${before} → ${after}; fresh login: ${fresh || 'FAILED'}`,
    pass,
  });
  assert.ok(pass, r.out);
});

test('restarts deferred: the old sshd keeps the upgrading connection, new connections are reset; the runner proves a fresh login, restarts ssh over the old connection, reports it', async () => {
  const H = 'lab3';
  // The fault is the 9.x → 10 step (the old listener re-execs /usr/sbin/sshd -R for each new
  // connection); a host whose sshd already hands connections to sshd-session (trixie, OpenSSH 10)
  // meets nothing of the kind in a point update.
  if (sshRoot(lab, H, 'test -x /usr/lib/openssh/sshd-session').code === 0) {
    console.log(`  skipped on ${lab.hosts.find((x) => x.name === H)!.suite}: sshd already runs sessions in sshd-session (OpenSSH 10)`);
    return;
  }
  set(H, 'os-updates', 'on');
  // openssh-server's upgrade with the restart deferred (policy-rc.d), and a /usr/sbin/sshd the
  // running 9.x listener can no longer re-execute for a new connection (as OpenSSH 10's sshd,
  // which moved that into sshd-session); the diversion makes dpkg put the new sshd under it
  const defer = shell(
    {
      cmd: [
        "printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d",
        'dpkg-divert --local --rename --divert /usr/sbin/sshd.lab-real --add /usr/sbin/sshd >/dev/null',
        'printf \'#!/bin/sh\\n# lab: serves no connection for an old listener (re-exec with -R), starts a new one\\ncase " $* " in *" -R "*) exit 255;; esac\\nexec /usr/sbin/sshd.lab-real "$@"\\n\' > /usr/sbin/sshd',
        'chmod 755 /usr/sbin/sshd',
      ].join(' && '),
    },
    { name: 'restarts deferred, old listener cannot serve new logins' },
  );
  const h = lab.hosts.find((x) => x.name === H)!;
  /** a NEW connection (the runner's stays open meanwhile) */
  const fresh = () =>
    new Promise<string>((resolve) => {
      const p = spawn('ssh', [...labSshArgs(lab, `root@${h.address}`), 'echo fresh'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (out += d));
      p.on('close', (code) => resolve(code === 0 ? 'logs in' : `fails (exit ${code}: ${out.trim().split('\n').at(-1)})`));
    });
  const before = mainPid(H, 'ssh');
  const r1 = await run(lab, H, [defer, ...upgrade(), shell({ cmd: 'echo still here' }, { name: 'the old connection after the upgrade' })]);
  const after = await fresh();
  const pidAfter = mainPid(H, 'ssh');
  const up = r1.done.find((d) => d.task === 'upgrade');
  const report =
    /openssh-server moved; new logins failed \((.*)\); restarted ssh over the existing connection; a fresh login works now/.exec(
      r1.out,
    )?.[0];
  const pass =
    r1.exitCode === 0 &&
    up?.status === 'changed' &&
    !!report &&
    (up?.reason ?? '').includes(report) &&
    after === 'logs in' &&
    pidAfter !== before;
  record({
    fault:
      'openssh-server upgraded with its restart deferred (lab3: policy-rc.d 101; the old listener can no longer start sessions for new connections, as a 9.2 sshd after OpenSSH 10 split out sshd-session)',
    expected:
      'the connection that ran the upgrade stays fine; new connections fail until sshd restarts; aptUpgrade proves a fresh login before it lets go, restarts ssh over the old connection and says so',
    observed: `exit ${r1.exitCode} (${r1.done.map((d) => `${d.task}: ${d.status}`).join(', ')}); the runner reported: ${report ?? 'NOTHING'}; sshd main pid ${before} → ${pidAfter}; a fresh connection afterwards ${after}`,
    pass,
  });
  await reset([H]);
  lab = readLab();
  assert.ok(pass, `${r1.out}\nfresh after: ${after}`);
});

test('a unit that takes 20 s to stop during reboot: the reboot waits it out, the host comes back with a new boot id', async () => {
  const H = 'lab1';
  set(H, 'shutdown-delay', '20');
  const old = bootId(H);
  const t0 = Date.now();
  const r = await run(lab, H, [reboot({ downTimeoutSec: 120 }, { name: 'reboot' })]);
  const ms = Date.now() - t0;
  const now = bootId(H);
  set(H, 'shutdown-delay', 'off');
  const pass = r.exitCode === 0 && r.done[0]?.status === 'changed' && ms >= 20_000 && now !== old && !!now;
  record({
    fault: 'a unit that takes 20 s to stop during reboot (lab1: lab-slow-stop.service, shutdown-delay 20; sshd stays up meanwhile)',
    expected: 'the reboot module waits it out (old boot id not taken as rebooted); the host comes back with a new boot id',
    observed: `exit ${r.exitCode}, reboot ${r.done[0]?.status} after ${secs(ms)} s: ${r.done[0]?.reason}; boot id ${old.slice(0, 8)}… → ${now.slice(0, 8)}…`,
    pass,
  });
  assert.ok(pass, r.out);
});

test("a server fails to start after the upgrade's reboot: verify fails naming the unit, the host fails, the rollout stops", async () => {
  set('lab2', 'fail-unit', 'nginx');
  const verify = httpCheck((h) => ({ url: `https://${h.address}/admin/`, caFile: lab.caFile, retries: 3, delaySec: 1 }), {
    name: 'verify: admin page',
  });
  const t0 = Date.now();
  // the playbook's verify block: failed units first, then the admin URL
  const r = await run(lab, 'lab2,lab3', [...upgrade(), reboot({}, { name: 'reboot' }), noFailedUnits, verify], {
    options: { serial: 1, maxFailPercentage: 0 },
  });
  const ms = Date.now() - t0;
  const failed = sshRoot(lab, 'lab2', 'systemctl --failed --no-legend --plain | cut -d" " -f1').stdout.trim();
  const lab3 = sshOk(lab, 'lab3', "dpkg-query -W -f='${Version}' ucware-core");
  const verr = r.done.find((d) => d.host === 'lab2' && d.task === noFailedUnits.name);
  const pass =
    r.exitCode !== 0 &&
    verr?.status === 'failed' &&
    /failed units: nginx\.service/.test(verr?.error ?? '') &&
    /nginx\.service/.test(failed) &&
    lab3 === '4.5.0.9' &&
    !r.done.some((d) => d.host === 'lab3');
  record({
    fault:
      "a server fails to start after the upgrade's reboot (lab2: nginx.service made to fail; rollout lab2, lab3 with serial 1, maxFailPercentage 0)",
    expected: 'the verify step fails naming nginx.service, the host fails, the rollout stops before lab3',
    observed: `exit ${r.exitCode} after ${secs(ms)} s; verify (${noFailedUnits.name}) on lab2 ${verr?.status}: ${/failed units: [\w@.-]+\.\w+( [\w@.-]+\.\w+)*/.exec(verr?.error ?? '')?.[0] ?? (verr?.error ?? verr?.reason ?? '').split('\n')[0]}; failed units on lab2: ${failed || 'none'}; lab3 untouched: ucware-core ${lab3}`,
    pass,
  });
  assert.ok(pass, r.out);
});

test.run();
