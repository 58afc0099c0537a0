// Issue 14 item 1 on a real lab host (tests/ssh/detached-attack does it on loopback): an
// unprivileged user on the host swaps run folders and plants pid files while root's detached
// jobs run. On a systemd host the jobs go through systemd-run, elsewhere through setsid; both
// must report the real exit status and output, and never signal a process group not the job's.
// LAB_DIR picks the lab (a systemd lab: LAB_DIR=/var/lib/ucw-lab-N of a systemd instance).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { quote } from '../../runner/model/shell.ts';
import { SshConnection } from '../../runner/connection/ssh.ts';
import { runDetached } from '../../runner/connection/detached.ts';
import { labOrSkip, sshOk, sshRoot } from '../fixtures/modules/labRun.ts';
import { ATTACK } from '../support/detachedAttacker.ts';

const lab = labOrSkip();
const host = lab?.hosts[0];
const ATTACKER = `ucwat${process.pid % 10000}`;
const opened: SshConnection[] = [];
const remotePids: number[] = [];
let systemd = false;

function conn(): SshConnection {
  const c = new SshConnection({
    host: host!.name,
    address: host!.address,
    port: 22,
    user: 'root',
    identityFiles: [lab!.keyFile],
    agent: false,
    hostKeyChecking: 'strict',
    knownHostsFiles: [lab!.knownHostsFile],
    connectTimeoutMs: 5000,
  });
  opened.push(c);
  return c;
}

/** Starts `line` in the background on the host (its own session); its pid. */
function spawnRemote(line: string): number {
  const pid = Number(sshOk(lab!, host!, `setsid sh -c ${quote(line)} </dev/null >/dev/null 2>&1 & echo $!`).trim());
  remotePids.push(pid);
  return pid;
}

function attacker(mode: 'forge' | 'pid', victim = 1): string {
  const log = `/tmp/ucw-attacker-${mode}-${Date.now()}.log`;
  spawnRemote(
    `exec setpriv --reuid=${ATTACKER} --regid=${ATTACKER} --clear-groups sh -c ${quote(ATTACK)} attacker ${mode} /nonexistent ${victim} ${log}`,
  );
  sshOk(lab!, host!, `i=0; until grep -q ready ${log} 2>/dev/null; do i=$((i+1)); [ $i -lt 100 ] || exit 1; sleep 0.05; done`);
  return log;
}

const stopAttackers = () => sshRoot(lab!, host!, `pkill -KILL -u ${ATTACKER} || true`);
const alive = (pid: number) => sshRoot(lab!, host!, `kill -0 ${pid}`).code === 0;

test.before(() => {
  if (!lab) return;
  sshOk(lab, host!, `userdel ${ATTACKER} 2>/dev/null; useradd -M -s /bin/sh ${ATTACKER}; rm -rf /var/tmp/ucw-runner`);
  systemd = sshRoot(lab, host!, 'test -d /run/systemd/system && command -v systemd-run').code === 0;
  console.log(`  ${host!.name}: ${systemd ? 'systemd (jobs through systemd-run)' : 'no systemd (jobs through setsid)'}`);
});

test.after(async () => {
  if (!lab) return;
  for (const c of opened) await c.close();
  stopAttackers();
  for (const p of remotePids) sshRoot(lab, host!, `kill -KILL ${p} 2>/dev/null; true`);
  sshRoot(lab, host!, `userdel ${ATTACKER}; rm -rf /var/tmp/ucw-runner /tmp/ucw-attacker-*.log`);
});

test('a local user who swaps run folders cannot forge the exit status or the output', async () => {
  if (!lab) return;
  const log = attacker('forge');
  try {
    const r = await runDetached(conn(), 'echo real; sleep 4; exit 42', { pollMs: 300 });
    assert.is(r.launcher, systemd ? 'systemd-run' : 'setsid');
    assert.is(r.exitCode, 42, sshOk(lab, host!, `cat ${log}`));
    assert.is(r.stdout, 'real\n');
    assert.ok(r.dir.startsWith('/var/lib/ucw-runner/'), r.dir);
    assert.not.match(sshOk(lab, host!, `cat ${log}`), /took/);
    assert.is(sshOk(lab, host!, 'stat -c %U:%a /var/lib/ucw-runner').trim(), 'root:700');
  } finally {
    stopAttackers();
  }
});

test('a planted pid file never aims the timeout kill at another process group', async () => {
  if (!lab) return;
  const victim = spawnRemote('exec sleep 300');
  attacker('pid', victim);
  try {
    const r = await runDetached(conn(), 'echo started; sleep 30', { pollMs: 300, timeoutMs: 2000 });
    assert.ok(r.timedOut);
    assert.ok(alive(victim), `the victim ${victim} was killed`);
    assert.ok(r.durationMs < 25_000, `the job itself was killed (ran ${r.durationMs} ms)`);
  } finally {
    stopAttackers();
  }
});

test('a pid file rewritten by the job itself is not trusted: the job is killed, the victim is not', async () => {
  if (!lab) return;
  const victim = spawnRemote('exec sleep 300');
  const r = await runDetached(conn(), `sleep 1; echo "${victim} 1" > pid; sleep 30`, { pollMs: 300, timeoutMs: 3000 });
  assert.ok(r.timedOut);
  assert.ok(alive(victim), `the victim ${victim} was killed`);
  assert.ok(r.durationMs < 25_000, `the job itself was killed (ran ${r.durationMs} ms)`);
});

test.run();
