// Issue 14 item 1, performed for real: a local unprivileged user on the host (a real account,
// running a real process as its own uid) tries to take over the folder where detached commands
// keep their status — pre-creating the bases, swapping a run folder for its own with a forged
// exit status and output, or a pid file pointing at a process it wants killed — against root and
// against an unprivileged login user, over a real sshd on loopback. Plus bases that were tampered
// with (another owner, a symlink, group/world-writable, under /tmp): refused, naming path and owner.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loopbackConnection, makeClientKey, startSshd, portBase, type TestSshd } from '../support/sshd.ts';
import { SshConnection } from '../../runner/connection/ssh.ts';
import { runDetached } from '../../runner/connection/detached.ts';
import { ATTACK } from '../support/detachedAttacker.ts';
import { createLocalUser, removeLocalUser, removeStaleTestUsers } from '../support/localUsers.ts';

const tag = process.pid % 10000;
const ATTACKER = `ucwat${tag}`;
const LOGIN = `ucwdl${tag}`;
const port = portBase() + 9;
const key = makeClientKey();
const scratch = mkdtempSync(join(tmpdir(), 'ucw-det-attack-'));
// A parent only root can write, for the tampered bases (a base under /tmp is refused by design).
const safe = mkdtempSync('/run/ucw-det-test-');
const OLD_BASE = '/var/tmp/ucw-runner';
let s: TestSshd;
const opened: SshConnection[] = [];
const started: ChildProcess[] = [];

const uid = (u: string) => Number(execFileSync('id', ['-u', u], { encoding: 'utf8' }).trim());
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const fails = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as Error,
  );

function conn(user = 'root'): SshConnection {
  const c = loopbackConnection(key, join(scratch, 'known_hosts'), { host: `pbx-det-${user}`, address: s.address, port, user });
  opened.push(c);
  return c;
}

async function attacker(mode: 'forge' | 'pid', victim = 1): Promise<{ proc: ChildProcess; log: string }> {
  const log = join(scratch, `attacker-${mode}-${Date.now()}.log`);
  const proc = spawn(
    'setpriv',
    [
      '--reuid',
      ATTACKER,
      '--regid',
      ATTACKER,
      '--init-groups',
      'sh',
      '-c',
      ATTACK,
      'attacker',
      mode,
      `/home/${LOGIN}`,
      String(victim),
      log,
    ],
    {
      stdio: 'ignore',
    },
  );
  started.push(proc);
  for (let i = 0; i < 100 && !(existsSync(log) && readFileSync(log, 'utf8').includes('ready')); i++) await sleep(50);
  assert.ok(existsSync(OLD_BASE) && lstatSync(OLD_BASE).uid === uid(ATTACKER), 'the attacker holds the old shared base');
  return { proc, log };
}

async function stop(a: { proc: ChildProcess }): Promise<void> {
  if (a.proc.exitCode !== null) return;
  const done = new Promise((r) => a.proc.once('exit', r));
  a.proc.kill('SIGKILL');
  await done;
}

function victimProcess(): ChildProcess {
  // Its own session and process group, as root: what a forged pid file would aim a group kill at.
  const v = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
  started.push(v);
  return v;
}

test.before(async () => {
  s = await startSshd({ name: 'det', address: '127.0.0.91', port, client: key });
  removeStaleTestUsers();
  for (const u of [ATTACKER, LOGIN]) createLocalUser(u);
  chmodSync(scratch, 0o777); // the attacker's log
  rmSync(OLD_BASE, { recursive: true, force: true });
});

test.after(async () => {
  for (const p of started) if (p.exitCode === null && p.pid) p.kill('SIGKILL');
  for (const c of opened) await c.close();
  await s?.stop();
  for (const u of [ATTACKER, LOGIN]) removeLocalUser(u);
  rmSync(OLD_BASE, { recursive: true, force: true });
  rmSync(safe, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

for (const who of ['root', 'login user'] as const) {
  test(`${who}: a local user who swaps the run folder cannot forge the exit status or the output`, async () => {
    const a = await attacker('forge');
    try {
      const c = conn(who === 'root' ? 'root' : LOGIN);
      const r = await runDetached(c, 'echo real; sleep 4; exit 42', { pollMs: 200 });
      assert.is(r.exitCode, 42, `exit status forged (log: ${readFileSync(a.log, 'utf8')})`);
      assert.is(r.stdout, 'real\n');
      assert.not.match(readFileSync(a.log, 'utf8'), /took/);
      const base = r.dir.slice(0, r.dir.lastIndexOf('/'));
      assert.is(base, who === 'root' ? '/var/lib/ucw-runner' : `/home/${LOGIN}/.ucw-runner`);
      const st = statSync(base);
      assert.is(st.uid, who === 'root' ? 0 : uid(LOGIN));
      assert.is(st.mode & 0o777, 0o700);
    } finally {
      await stop(a);
    }
  });
}

test('a planted pid file never aims the timeout kill at another process group', async () => {
  const victim = victimProcess();
  const a = await attacker('pid', victim.pid!);
  try {
    const r = await runDetached(conn(), 'echo started; sleep 30', { pollMs: 200, timeoutMs: 1500 });
    assert.ok(r.timedOut);
    assert.ok(alive(victim.pid!), `the victim (pid ${victim.pid}) was killed (log: ${readFileSync(a.log, 'utf8')})`);
    assert.ok(r.durationMs < 25_000, `the job itself was killed (ran ${r.durationMs} ms)`);
  } finally {
    await stop(a);
  }
});

test('a pid file rewritten after the start (by the job itself) is not trusted either', async () => {
  const victim = victimProcess();
  const r = await runDetached(conn(), `sleep 1; echo ${victim.pid} > pid; echo "${victim.pid} 1" > pid; sleep 30`, {
    pollMs: 200,
    timeoutMs: 2500,
  });
  assert.ok(r.timedOut);
  assert.ok(alive(victim.pid!), 'the victim was killed through the rewritten pid file');
  assert.ok(r.durationMs < 25_000, `the job itself was killed (ran ${r.durationMs} ms)`);
});

const tampered: [string, (base: string) => void, RegExp][] = [
  [
    'owned by another user',
    (b) => (mkdirSync(b, { mode: 0o700 }), execFileSync('chown', [ATTACKER, b])),
    new RegExp(`is owned by ${ATTACKER} \\(uid \\d+\\)`),
  ],
  ['a symlink', (b) => (mkdirSync(b + '.real', { mode: 0o700 }), symlinkSync(b + '.real', b)), /is a symbolic link/],
  ['world-writable', (b) => (mkdirSync(b), chmodSync(b, 0o777)), /writable by group or others \(mode 777\)/],
  [
    'sticky and world-writable, as the old shared base',
    (b) => (mkdirSync(b), chmodSync(b, 0o1777)),
    /writable by group or others \(mode 1777\)/,
  ],
  ['group-writable', (b) => (mkdirSync(b), chmodSync(b, 0o770)), /writable by group or others \(mode 770\)/],
];
for (const [what, make, why] of tampered) {
  test(`a base that is ${what} is tampering: refused, naming the path and its owner`, async () => {
    const base = join(safe, what.replace(/\W+/g, '-'));
    make(base);
    const e = await fails(runDetached(conn(), 'touch ran-anyway', { baseDir: base, pollMs: 200 }));
    assert.ok(e, 'ran in a tampered base');
    assert.ok(e!.message.includes(base), e!.message);
    assert.match(e!.message, why);
    assert.match(e!.message, /tamper/);
  });
}

test('a base under a folder others can write (/tmp) is refused, naming that folder', async () => {
  const e = await fails(runDetached(conn(), 'true', { baseDir: `/tmp/ucw-det-${tag}`, pollMs: 200 }));
  assert.ok(e, 'ran under /tmp');
  assert.match(e!.message, /\/tmp is writable by group or others \(mode 1777\), owned by root/);
  assert.not.ok(existsSync(`/tmp/ucw-det-${tag}`));
});

test.run();
