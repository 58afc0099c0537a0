// sudo with a password against a real sshd and the real sudo: right, wrong and missing password,
// a user not in sudoers, passwordless sudo, the task's stdin after the password, and a whole
// run whose logs, JSON events and terminal output must not contain the password.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loopbackConnection, makeClientKey, startSshd, portBase, type TestSshd } from '../support/sshd.ts';
import { SshConnection } from '../../runner/connection/ssh.ts';
import { execAsRoot, BecomeError } from '../../runner/connection/sudo.ts';
import type { BecomeSettings } from '../../runner/connection/connection.ts';
import { runPlaybook } from '../../runner/cli/run.ts';
import { clearSecrets } from '../../runner/model/secrets.ts';
import { runDetached } from '../../runner/connection/detached.ts';

const hasSudo = spawnSync('sh', ['-c', 'command -v sudo']).status === 0;
const root = mkdtempSync(join(tmpdir(), 'ucw-sudo-'));
const port = portBase() + 2;
const key = makeClientKey();
const tag = process.pid % 10000;
const SUDOER = `ucwsu${tag}`;
const NOPASS = `ucwnp${tag}`;
const NOSUDO = `ucwns${tag}`;
const PASSWORD = 'Sudo-' + Math.random().toString(36).slice(2, 10) + '-pw';
const sudoersFile = `/etc/sudoers.d/ucw-test-${tag}`;
let s: TestSshd;
const opened: SshConnection[] = [];

function conn(user: string, become: BecomeSettings = {}): SshConnection {
  const c = loopbackConnection(key, join(root, 'known_hosts'), {
    host: `pbx-${user}`,
    address: s.address,
    port,
    user,
    become: { timeoutMs: 8000, ...become },
  });
  opened.push(c);
  return c;
}

const fails = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

test.before(async () => {
  if (!hasSudo) return;
  s = await startSshd({ name: 'tsudo', address: '127.0.0.61', port, client: key });
  for (const u of [SUDOER, NOPASS, NOSUDO]) {
    spawnSync('userdel', ['-r', u], { stdio: 'ignore' });
    execFileSync('useradd', ['-m', '-s', '/bin/sh', u]);
    execFileSync('chpasswd', { input: `${u}:${PASSWORD}\n` });
  }
  writeFileSync(sudoersFile, `${SUDOER} ALL=(ALL) ALL\n${NOPASS} ALL=(ALL) NOPASSWD: ALL\nDefaults:${SUDOER},${NOSUDO} !lecture\n`, {
    mode: 0o440,
  });
  execFileSync('visudo', ['-c', '-f', sudoersFile], { stdio: 'ignore' });
});

test.after(async () => {
  for (const c of opened) await c.close();
  await s?.stop();
  rmSync(sudoersFile, { force: true });
  for (const u of [SUDOER, NOPASS, NOSUDO]) spawnSync('userdel', ['-r', u], { stdio: 'ignore' });
  rmSync(root, { recursive: true, force: true });
});

test('the right password: runs as root; no prompt or marker in the output', async () => {
  if (!hasSudo) return console.log('  (sudo not installed: skipped)');
  const lines: string[] = [];
  const r = await execAsRoot(conn(SUDOER, { password: PASSWORD }), 'id -u; echo to-stderr >&2', {
    onLine: (st, l) => lines.push(`${st}:${l}`),
  });
  assert.is(r.exitCode, 0);
  assert.is(r.stdout, '0\n');
  assert.is(r.stderr.trim(), 'to-stderr');
  // stdout and stderr are two streams: which line arrives first is the scheduler's business, not ours.
  assert.equal(lines.sort(), ['stderr:to-stderr', 'stdout:0']);
});

test("the task's stdin reaches the command after the password, byte for byte", async () => {
  if (!hasSudo) return;
  const input = "SELECT 'x';\n-- second line\n" + 'y'.repeat(100_000) + '\nend';
  const r = await execAsRoot(conn(SUDOER, { password: PASSWORD }), 'cat', { stdin: input });
  assert.is(r.exitCode, 0);
  assert.ok(r.stdout === input, `stdout differs (length ${r.stdout.length} vs ${input.length})`);
  const w = await execAsRoot(conn(SUDOER, { password: PASSWORD }), 'wc -c');
  assert.is(w.stdout.trim(), '0', 'without stdin the command sees EOF at once');
});

test('a failing command is a result, not a sudo error', async () => {
  if (!hasSudo) return;
  const r = await execAsRoot(conn(SUDOER, { password: PASSWORD }), 'echo out; exit 3');
  assert.is(r.exitCode, 3);
  assert.is(r.stdout, 'out\n');
});

test('the wrong password: BecomeError "incorrect", naming host and user', async () => {
  if (!hasSudo) return;
  const t0 = Date.now();
  const e = await fails(execAsRoot(conn(SUDOER, { password: 'not-the-password', passwordSource: '$UCW_X' }), 'id -u'));
  assert.instance(e, BecomeError);
  assert.is((e as BecomeError).reason, 'wrong-password');
  assert.match((e as Error).message, new RegExp(`^pbx-${SUDOER}: incorrect sudo password for ${SUDOER} \\(from \\$UCW_X\\)`));
  assert.ok(Date.now() - t0 < 8000, 'did not wait for the escalation timeout');
});

test('no password given while sudo wants one: BecomeError "password required", with what to do', async () => {
  if (!hasSudo) return;
  const e = await fails(
    execAsRoot(conn(SUDOER, { passwordSource: 'set becomePasswordEnv in the inventory or use --ask-become-pass' }), 'id -u'),
  );
  assert.instance(e, BecomeError);
  assert.is((e as BecomeError).reason, 'password-required');
  assert.match((e as Error).message, /sudo needs a password for ucwsu\d+ and none was given: set becomePasswordEnv/);
});

test('a user not in sudoers: BecomeError "not allowed"', async () => {
  if (!hasSudo) return;
  const e = await fails(execAsRoot(conn(NOSUDO, { password: PASSWORD }), 'id -u'));
  assert.instance(e, BecomeError);
  assert.is((e as BecomeError).reason, 'not-allowed');
  assert.match((e as Error).message, /ucwns\d+ may not use sudo \(not in sudoers\)/);
});

test('passwordless sudo works without a password, and with one configured', async () => {
  if (!hasSudo) return;
  assert.is((await execAsRoot(conn(NOPASS), 'id -u')).stdout, '0\n');
  assert.is((await execAsRoot(conn(NOPASS, { password: PASSWORD }), 'cat', { stdin: 'in\n' })).stdout, 'in\n');
});

test('the password is in no remote argv or environment', async () => {
  if (!hasSudo) return;
  const r = await execAsRoot(conn(SUDOER, { password: PASSWORD }), 'ps -eo args; cat /proc/*/environ 2>/dev/null | tr "\\0" "\\n"; env');
  assert.ok(r.stdout.length > 100);
  assert.not.ok(r.stdout.includes(PASSWORD), 'password visible on the host');
});

test('a whole run with becomePasswordEnv: the password is nowhere in logs, JSON events or output', async () => {
  if (!hasSudo) return;
  clearSecrets();
  const dir = join(root, 'run');
  const inventory = join(root, 'inv.yml');
  const playbook = join(root, 'pb.ts');
  const json = join(root, 'events.jsonl');
  const logsDir = join(root, 'logs');
  writeFileSync(
    inventory,
    `all:
  vars:
    user: ${SUDOER}
    identityFile: ${key.key}
    knownHostsFile: ${join(root, 'known_hosts')}
    hostKeyChecking: accept-new
    becomePasswordEnv: UCW_TEST_SUDO_PW
  hosts:
    pbx1: { address: ${s.address}, port: ${port} }
`,
  );
  const runner = join(process.cwd(), 'runner/index.ts');
  const modules = join(process.cwd(), 'modules/index.ts');
  writeFileSync(
    playbook,
    `import { playbook } from ${JSON.stringify(runner)};
import { command, copy } from ${JSON.stringify(modules)};
export default playbook({ name: 'sudo-secret', become: true }, [
  command({ cmd: 'id -u' }, { name: 'whoami' }),
  copy({ path: ${JSON.stringify(dir + '/f')}, content: 'content via stdin\\n' }, { name: 'upload as root' }),
  command({ cmd: 'cat', stdin: 'piped\\n' }, { name: 'stdin after password' }),
  command({ cmd: 'echo attempt; exit 1' }, { name: 'fails', ignoreErrors: true }),
]);
`,
  );
  execFileSync('mkdir', ['-p', dir]);
  process.env.UCW_TEST_SUDO_PW = PASSWORD;
  const lines: string[] = [];
  try {
    const r = await runPlaybook({ playbook, inventory, logsDir, json, view: 'plain', verbose: true, write: (l) => lines.push(l) });
    const out = lines.join('\n');
    assert.is(r.exitCode, 0, out);
    assert.is(readFileSync(join(dir, 'f'), 'utf8'), 'content via stdin\n');
    assert.is(statSync(join(dir, 'f')).uid, 0);
    const events = readFileSync(json, 'utf8');
    assert.match(events, /"stdout":"0\\n"/);
    assert.match(events, /"stdout":"piped\\n"/);
    const logs = readdirSync(logsDir, { recursive: true, withFileTypes: true })
      .filter((f) => f.isFile())
      .map((f) => readFileSync(join(f.parentPath ?? (f as unknown as { path: string }).path, f.name), 'utf8'));
    assert.ok(logs.length > 0);
    for (const [what, text] of [['output', out], ['json', events], ...logs.map((l, i) => [`log ${i}`, l])] as const) {
      assert.not.ok(text.includes(PASSWORD), `password found in ${what}`);
      assert.not.ok(/BECOME-SUCCESS|sudo via ucw-runner/.test(text), `marker or prompt leaked into ${what}`);
    }
  } finally {
    delete process.env.UCW_TEST_SUDO_PW;
  }
});

test('a detached command as root through sudo with a password', async () => {
  if (!hasSudo) return;
  const c = conn(SUDOER, { password: PASSWORD });
  const r = await runDetached(c, 'id -u; cat', { become: true, stdin: 'fed\n', pollMs: 200 });
  assert.is(r.exitCode, 0);
  assert.is(r.stdout, '0\nfed\n');
  assert.not.ok(r.stdout.includes(PASSWORD) || r.stderr.includes(PASSWORD));
});

test('the CLI with -K on a terminal: asked once, no echo, the password nowhere in the transcript, logs or JSON', async () => {
  if (!hasSudo || spawnSync('sh', ['-c', 'command -v script']).status !== 0) return console.log('  (no sudo or script(1): skipped)');
  clearSecrets();
  const cwd = mkdtempSync(join(root, 'cli-'));
  const inventory = join(cwd, 'inv.yml');
  const playbook = join(cwd, 'pb.ts');
  const json = join(cwd, 'events.jsonl');
  writeFileSync(join(cwd, 'package.json'), '{"type":"module"}\n'); // the playbook is ESM, as in the project
  writeFileSync(
    inventory,
    `all:
  vars: { user: ${SUDOER}, identityFile: ${key.key}, knownHostsFile: ${join(root, 'known_hosts')}, hostKeyChecking: accept-new }
  hosts:
    pbx1: { address: ${s.address}, port: ${port} }
    pbx2: { address: ${s.address}, port: ${port} }
`,
  );
  writeFileSync(
    playbook,
    `import { playbook } from ${JSON.stringify(join(process.cwd(), 'runner/index.ts'))};
import { command } from ${JSON.stringify(join(process.cwd(), 'modules/index.ts'))};
export default playbook({ name: 'cli-k', become: true }, [command({ cmd: 'id -u' }, { name: 'whoami' })]);
`,
  );
  const bin = join(process.cwd(), 'bin/run.js');
  const cmd = `node ${bin} ${playbook} ${inventory} -K --plain -v --json ${json}`;
  const child = spawn('script', ['-qefc', cmd, '/dev/null'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let transcript = '';
  let sent = false;
  child.stdout.on('data', (d: Buffer) => {
    transcript += d.toString();
    if (!sent && transcript.includes('BECOME password:')) {
      sent = true;
      child.stdin.write(PASSWORD + '\r');
    }
  });
  child.stderr.on('data', (d: Buffer) => (transcript += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  child.stdin.end();
  assert.is(code, 0, transcript);
  assert.is(transcript.split('BECOME password:').length - 1, 1, 'asked once for both hosts');
  assert.match(transcript, /pbx1\s+: ok=1/);
  assert.match(transcript, /pbx2\s+: ok=1/);
  const logs = readdirSync(join(cwd, 'logs'), { recursive: true, withFileTypes: true })
    .filter((f) => f.isFile())
    .map((f) => readFileSync(join(f.parentPath ?? (f as unknown as { path: string }).path, f.name), 'utf8'));
  for (const [what, text] of [['terminal', transcript], ['json', readFileSync(json, 'utf8')], ...logs.map((l, i) => [`log ${i}`, l])]) {
    assert.not.ok(text!.includes(PASSWORD), `password leaked into ${what}`);
  }
});

test.run();
