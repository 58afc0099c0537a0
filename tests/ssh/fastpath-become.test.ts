// become on the persistent strategy: one root shell per host, opened through sudo once (sudo's
// own log counts its invocations), serving every become task, with the same results as sudo per
// command; sudo's refusals come back as the same BecomeErrors; a killed root shell is reopened.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loopbackConnection, makeClientKey, startSshd, portBase, type TestSshd } from '../support/sshd.ts';
import { SshConnection } from '../../runner/connection/ssh.ts';
import { execAsRoot, BecomeError } from '../../runner/connection/sudo.ts';
import type { BecomeSettings, ExecResult } from '../../runner/connection/connection.ts';

const hasSudo = spawnSync('sh', ['-c', 'command -v sudo']).status === 0;
const root = mkdtempSync(join(tmpdir(), 'ucw-fpsudo-'));
const port = portBase() + 7;
const key = makeClientKey();
const tag = process.pid % 10000;
const SUDOER = `ucwfs${tag}`;
const NOSUDO = `ucwfn${tag}`;
const PASSWORD = 'Fp-' + Math.random().toString(36).slice(2, 10) + '-pw';
const sudoersFile = `/etc/sudoers.d/ucw-fastpath-${tag}`;
const sudoLog = join(root, 'sudo.log');
let s: TestSshd;
const opened: SshConnection[] = [];

function conn(channel: 'persistent' | 'exec', user = SUDOER, become: BecomeSettings = { password: PASSWORD }): SshConnection {
  const c = loopbackConnection(key, join(root, 'known_hosts'), {
    host: `fpb-${channel}`,
    address: s.address,
    port,
    user,
    become: { timeoutMs: 8000, passwordSource: '$UCW_FP', ...become },
    channel,
  });
  opened.push(c);
  return c;
}

/** sudo invocations so far, from sudo's own log file (one entry per command it runs). */
const sudoCount = () => (existsSync(sudoLog) ? readFileSync(sudoLog, 'utf8').split('COMMAND=').length - 1 : 0);
const fails = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );
const norm = (r: ExecResult) => ({ stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode, signal: r.signal ?? null });

test.before(async () => {
  if (!hasSudo) return;
  s = await startSshd({ name: 'fpsudo', address: '127.0.0.82', port, client: key });
  for (const u of [SUDOER, NOSUDO]) {
    spawnSync('userdel', ['-r', u], { stdio: 'ignore' });
    execFileSync('useradd', ['-m', '-s', '/bin/sh', u]);
    execFileSync('chpasswd', { input: `${u}:${PASSWORD}\n` });
  }
  writeFileSync(sudoersFile, `${SUDOER} ALL=(ALL) ALL\nDefaults:${SUDOER},${NOSUDO} !lecture\nDefaults:${SUDOER} logfile=${sudoLog}\n`, {
    mode: 0o440,
  });
  execFileSync('visudo', ['-c', '-f', sudoersFile], { stdio: 'ignore' });
});

test.after(async () => {
  for (const c of opened) await c.close();
  await s?.stop();
  rmSync(sudoersFile, { force: true });
  for (const u of [SUDOER, NOSUDO]) spawnSync('userdel', ['-r', u], { stdio: 'ignore' });
  rmSync(root, { recursive: true, force: true });
});

test('20 become tasks on one host: one sudo, one root shell; plain tasks stay the login user', async () => {
  if (!hasSudo) return console.log('  (sudo not installed: skipped)');
  const c = conn('persistent');
  const before = sudoCount();
  for (let i = 0; i < 20; i++) {
    const r = await execAsRoot(c, 'id -u');
    assert.is(r.stdout, '0\n');
    const u = await c.exec('id -un');
    assert.is(u.stdout, `${SUDOER}\n`);
  }
  assert.is(sudoCount() - before, 1, 'sudo ran once for 20 become tasks');
  assert.is(c.shellsOpened.root, 1);
  assert.is(c.shells('root')[0]!.tasks, 20);
  // The way it was: sudo per command (and the count is real).
  const e = conn('exec');
  const b2 = sudoCount();
  for (let i = 0; i < 3; i++) await execAsRoot(e, 'id -u');
  assert.is(sudoCount() - b2, 3);
});

const cases: [string, string | Buffer | undefined][] = [
  ['id -u; echo to-stderr >&2', undefined],
  ['echo out; exit 3', undefined],
  ['cat', "SELECT 'x';\n-- second line\n" + 'y'.repeat(100_000) + '\nend'],
  ['cat', Buffer.from([0, 255, 10, 0, 1])],
  ['wc -c', undefined],
  ['printf "no newline"; printf "\\000" >&2', undefined],
  ['cd /root; export Z=1; umask 077', undefined],
  ['pwd; echo "${Z-unset}"; umask', undefined],
  ['# comment first\necho ran', undefined],
  ['echo "$HOME"; id -un', undefined],
];

test(`become cases (${cases.length}): the root shell gives what sudo per command gives`, async () => {
  if (!hasSudo) return;
  const p = conn('persistent');
  const e = conn('exec');
  for (const [cmd, stdin] of cases) {
    const a = norm(await execAsRoot(p, cmd, { stdin }));
    const b = norm(await execAsRoot(e, cmd, { stdin }));
    assert.equal(a, b, JSON.stringify(cmd));
  }
  // The one known difference: a become command that dies of a signal. Per command, the login
  // shell that started sudo reports it as exit 143 and prints "Terminated"; the root shell
  // reports the signal itself, as an exec channel does for a plain command.
  assert.equal(norm(await execAsRoot(p, 'kill -TERM $$')), { stdout: '', stderr: '', exitCode: null, signal: 'SIGTERM' });
});

test("sudo's refusals: the same BecomeErrors as sudo per command", async () => {
  if (!hasSudo) return;
  const wrong = await fails(execAsRoot(conn('persistent', SUDOER, { password: 'not-the-password' }), 'id -u'));
  assert.instance(wrong, BecomeError);
  assert.is((wrong as BecomeError).reason, 'wrong-password');
  assert.match((wrong as Error).message, /incorrect sudo password for ucwfs\d+ \(from \$UCW_FP\)/);
  const none = await fails(execAsRoot(conn('persistent', SUDOER, {}), 'id -u'));
  assert.instance(none, BecomeError);
  assert.is((none as BecomeError).reason, 'password-required');
  const notAllowed = await fails(execAsRoot(conn('persistent', NOSUDO), 'id -u'));
  assert.instance(notAllowed, BecomeError);
  assert.is((notAllowed as BecomeError).reason, 'not-allowed');
});

test('the password is in no remote argv or environment of the root shell', async () => {
  if (!hasSudo) return;
  const r = await execAsRoot(conn('persistent'), 'ps -eo args; cat /proc/*/environ 2>/dev/null | tr "\\0" "\\n"; env');
  assert.ok(r.stdout.length > 100);
  assert.not.ok(r.stdout.includes(PASSWORD));
});

test('the root shell killed mid-task: that task fails (outcome unknown); the next become task gets a new root shell', async () => {
  if (!hasSudo) return;
  const c = conn('persistent');
  await execAsRoot(c, 'true');
  const pid = c.shells('root')[0]!.pid;
  const running = execAsRoot(c, 'sleep 3; echo finished');
  await sleep(400);
  process.kill(pid, 'SIGKILL');
  const r = await running;
  assert.is(r.exitCode, null);
  assert.is(r.outcomeUnknown, true);
  const n = await execAsRoot(c, 'id -u');
  assert.is(n.stdout, '0\n');
  assert.is(c.shellsOpened.root, 2);
});

test.run();
