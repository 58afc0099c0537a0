// A real kernel and systemd rebooting: the runner's reboot module against a Debian VM under qemu
// (lab/vm/, TCG), over real SSH with strict host keys. The namespace lab only simulates reboots.
// Recorded for tests/faults/RESULTS.md. Does not touch the lab hosts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pidAlive } from '../../lab/pidLock.ts';
import { bootMarkers, startVm, stopVm, vmSsh, type Vm } from '../../lab/vm/vm.ts';
import { runPlaybook } from '../../runner/cli/run.ts';
import type { RunEvent } from '../../runner/output/events.ts';
import { record, writeResults } from './results.ts';

const root = mkdtempSync(join(tmpdir(), 'ucw-faults-qemu-'));
const PLAY = 'tests/fixtures/faults/reboot-vm.ts';
let vm: Vm | undefined;
let startError: unknown;

function writeInventory(v: Vm): string {
  const file = join(root, 'vm.yml');
  writeFileSync(
    file,
    [
      'all:',
      '  hosts:',
      `    vm: { address: ${v.address}, port: ${v.port}, user: ${v.user}, identityFile: ${v.keyFile}, knownHostsFile: ${v.knownHostsFile}, hostKeyChecking: strict, connectTimeoutSec: 10 }`,
      '',
    ].join('\n'),
  );
  return file;
}

const sh = (cmd: string, timeoutSec = 30) => {
  const r = vmSsh(vm!, cmd, { timeoutSec });
  return { ...r, stdout: r.stdout.trim() };
};

test.before(async () => {
  try {
    vm = await startVm({ name: 'faults' });
  } catch (e) {
    startError = e;
  }
});
test.after(async () => {
  if (vm) {
    const s = await stopVm(vm);
    process.stderr.write(`qemu VM stopped: ${s.how} in ${s.sec.toFixed(1)} s\n`);
  }
  writeResults();
  rmSync(root, { recursive: true, force: true });
});

test('real kernel reboot (qemu, systemd): the reboot module sees the boot id change and the host come back', async () => {
  const fault = "a real reboot: Debian 12 kernel + systemd under qemu (TCG), the runner's reboot module over SSH (strict host key)";
  const expected = 'task changed, run exit 0; /proc boot_id differs before/after; systemd `running` and a small uptime after';
  if (!vm) {
    record({ fault, expected, observed: `the VM did not start: ${(startError as Error)?.message?.split('\n')[0]}`, pass: false });
    throw startError;
  }
  const before = sh('cat /proc/sys/kernel/random/boot_id').stdout;
  const lines: string[] = [];
  const json = join(root, 'events.jsonl');
  const t0 = Date.now();
  // the runner's logs stay next to the serial console log ($LAB_DIR/vm/run/faults/) for diagnosis
  const r = await runPlaybook({
    playbook: PLAY,
    inventory: writeInventory(vm),
    logsDir: join(vm.dir, 'logs'),
    view: 'plain',
    json,
    write: (l) => lines.push(l),
  });
  const runSec = (Date.now() - t0) / 1000;
  const out = lines.join('\n');
  writeFileSync(join(vm.dir, 'runner-output.txt'), out + '\n');
  const events = readFileSync(json, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RunEvent);
  const done = events.find((e): e is Extract<RunEvent, { type: 'task:done' }> => e.type === 'task:done' && e.taskId === 'reboot');
  const m = /rebooted in ([\d.]+) s \(down after ([\d.]+) s\); boot id (\S+) → (\S+)/.exec(done?.reason ?? '');

  // the host's own state, read independently of the runner
  const after = sh('cat /proc/sys/kernel/random/boot_id').stdout;
  const state = sh('systemctl is-system-running --wait', 150).stdout;
  const uptimeSec = Number(sh('cut -d" " -f1 /proc/uptime').stdout);
  const sinceRunSec = (Date.now() - t0) / 1000;
  const markers = bootMarkers(vm);
  const runnerAfter = events
    .find((e): e is Extract<RunEvent, { type: 'cmd:done' }> => e.type === 'cmd:done' && e.task === 'boot id after')
    ?.stdout.trim();

  const checks: [string, boolean][] = [
    ['exit 0', r.exitCode === 0],
    ['task changed', done?.status === 'changed' && done.changed],
    ['recap changed=1 failed=0 unreachable=0', r.recap.vm?.changed === 1 && r.recap.vm.failed === 0 && r.recap.vm.unreachable === 0],
    ['reason names both ids', !!m && m[3] === before && m[4] === after],
    ['boot id changed', !!before && !!after && before !== after],
    ['the runner read the same new id', runnerAfter === after],
    ['systemd running', state === 'running'],
    ['uptime < time since the reboot was issued', uptimeSec > 0 && uptimeSec < sinceRunSec],
    ['serial console: two boots with these ids', markers.length === 2 && markers[0] === before && markers[1] === after],
    ['same qemu process (a guest reboot, not a restart)', pidAlive(vm.pid)],
  ];
  const failed = checks.filter(([, ok]) => !ok).map(([name]) => name);
  const image = vm.image.built ? `image built in ${vm.image.buildSec.toFixed(0)} s` : 'image cached';
  record({
    fault,
    expected,
    observed:
      `${image}; first boot ${vm.bootSec.toFixed(1)} s; reboot task ${m ? `${m[1]} s (down after ${m[2]} s)` : `no reboot line (${done?.status ?? 'no task:done'})`}, run ${runSec.toFixed(1)} s; ` +
      `boot id ${before.slice(0, 8)}… → ${after.slice(0, 8)}…; systemd ${state || '?'}; uptime ${uptimeSec.toFixed(1)} s of ${sinceRunSec.toFixed(1)} s since the run started` +
      (failed.length ? `; failed: ${failed.join(', ')}` : ''),
    pass: !failed.length,
  });
  process.stderr.write(
    `qemu reboot: ${before} → ${after}; runner said ${runnerAfter ?? '?'}; reboot ${m?.[1]} s; first boot ${vm.bootSec.toFixed(1)} s\n`,
  );
  assert.equal(
    failed,
    [],
    `${failed.join(', ')}\n${out}\n--- serial tail ---\n${readFileSync(vm.serialLog, 'utf8').split('\n').slice(-30).join('\n')}`,
  );
});

test.run();
