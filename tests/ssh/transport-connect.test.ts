// The SSH transport against real OpenSSH servers on loopback: host keys (accept-new, strict,
// changed), ssh_config aliases, agent / key / password authentication and their failures, jumps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loopbackConnection, makeClientKey, startSshd, portBase, type TestSshd } from '../support/sshd.ts';
import { SshConnection, type SshOptions } from '../../runner/connection/ssh.ts';
import { SshAuthError } from '../../runner/connection/link.ts';
import { clearKeyCache } from '../../runner/connection/keys.ts';
import { connectionFor } from '../../runner/connection/index.ts';
import { buildInventory, type InventorySpec } from '../../runner/inventory/load.ts';
import { clearSshConfigCache } from '../../runner/connection/sshConfig.ts';
import { fingerprint } from '../../runner/connection/knownHosts.ts';
import { UnreachableError } from '../../runner/model/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'ucw-transport-'));
const port = portBase() + 1;
const key = makeClientKey();
const other = makeClientKey();
let a: TestSshd;
let b: TestSshd;
let pw: TestSshd;
const PWUSER = `ucwpw${process.pid % 10000}`;
const PASSWORD = 'Pw-' + Math.random().toString(36).slice(2);
const known = (n: string) => join(root, `known_hosts_${n}`);
const opened: SshConnection[] = [];

function conn(o: Partial<SshOptions> & { address: string }): SshConnection {
  const c = loopbackConnection(key, known('default'), { host: o.host ?? o.address, port, ...o });
  opened.push(c);
  return c;
}

const hostPub = (s: TestSshd) => Buffer.from(readFileSync(s.hostKey + '.pub', 'utf8').split(' ')[1]!, 'base64');

test.before(async () => {
  a = await startSshd({ name: 'ta', address: '127.0.0.51', port, client: key });
  b = await startSshd({ name: 'tb', address: '127.0.0.52', port, client: key, extraConfig: ['AllowTcpForwarding no'] });
  pw = await startSshd({ name: 'tpw', address: '127.0.0.53', port, client: key, passwordAuth: true });
  spawnSync('userdel', ['-r', PWUSER], { stdio: 'ignore' });
  execFileSync('useradd', ['-m', '-s', '/bin/sh', PWUSER]);
  execFileSync('chpasswd', { input: `${PWUSER}:${PASSWORD}\n` });
});

test.after(async () => {
  for (const c of opened) await c.close();
  for (const s of [a, b, pw]) await s?.stop();
  spawnSync('userdel', ['-r', PWUSER], { stdio: 'ignore' });
  rmSync(root, { recursive: true, force: true });
});

test('accept-new records the key of a new host; the next connection verifies against it', async () => {
  const file = known('accept');
  const c = conn({ address: a.address, knownHostsFiles: [file] });
  const r = await c.exec('echo hi');
  assert.is(r.stdout, 'hi\n');
  const text = readFileSync(file, 'utf8');
  assert.match(text, new RegExp(`^\\[127\\.0\\.0\\.51\\]:${port} ssh-ed25519 `));
  assert.is(text.trim().split('\n').length, 1);
  const again = conn({ address: a.address, knownHostsFiles: [file], hostKeyChecking: 'strict' });
  assert.is((await again.exec('echo again')).stdout, 'again\n');
  assert.is(readFileSync(file, 'utf8'), text, 'nothing appended the second time');
});

test('many first contacts at once write one whole line each', async () => {
  const file = known('many');
  await Promise.all([a, b, a, b].map((s) => conn({ address: s.address, knownHostsFiles: [file] }).exec('true')));
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  for (const l of lines) assert.match(l, /^\[127\.0\.0\.5[12]\]:\d+ ssh-ed25519 [A-Za-z0-9+/=]+$/);
});

test('strict refuses an unknown host, naming it and its fingerprint', async () => {
  const file = known('strict');
  const c = conn({ host: 'pbx-a', address: a.address, knownHostsFiles: [file], hostKeyChecking: 'strict' });
  try {
    await c.exec('true');
    assert.unreachable('connected');
  } catch (e) {
    const m = (e as Error).message;
    assert.match(m, /unknown host key for pbx-a \(127\.0\.0\.51:\d+\)/);
    assert.ok(m.includes(fingerprint(hostPub(a))), m);
  }
  assert.not.ok(existsSync(file));
});

test('hashed known_hosts entries are honoured', async () => {
  const file = known('hashed');
  writeFileSync(file, `[${b.address}]:${port} ${readFileSync(b.hostKey + '.pub', 'utf8')}`);
  execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
  assert.match(readFileSync(file, 'utf8'), /^\|1\|/);
  const c = conn({ address: b.address, knownHostsFiles: [file], hostKeyChecking: 'strict' });
  assert.is((await c.exec('echo ok')).stdout, 'ok\n');
});

test("a changed host key is refused with OpenSSH's warning, both fingerprints and what to do", async () => {
  const file = known('rekey');
  const s = await startSshd({ name: 'trk', address: '127.0.0.54', port, client: key });
  try {
    await conn({ host: 'pbx-rk', address: s.address, knownHostsFiles: [file] }).exec('true');
    const before = fingerprint(hostPub(s));
    await s.rekey();
    const after = fingerprint(hostPub(s));
    assert.is.not(before, after);
    for (const mode of ['accept-new', 'strict'] as const) {
      try {
        await conn({ host: 'pbx-rk', address: s.address, knownHostsFiles: [file], hostKeyChecking: mode }).exec('true');
        assert.unreachable('connected to a host whose key changed');
      } catch (e) {
        const m = (e as Error).message;
        assert.match(m, /pbx-rk \(127\.0\.0\.54:\d+\) unreachable: WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!/);
        assert.ok(m.includes(`Offending ED25519 key in ${file}:1 (${before})`) && m.includes(`sent by the remote host is ${after}`), m);
        assert.match(m, /ssh-keygen -f '.*' -R '\[127\.0\.0\.54\]:\d+'/);
      }
    }
  } finally {
    await s.stop();
  }
});

test('off accepts anything, with a warning', async () => {
  const warnings: string[] = [];
  const c = conn({ address: a.address, knownHostsFiles: [known('off')], hostKeyChecking: 'off', warn: (m) => warnings.push(m) });
  assert.is((await c.exec('echo x')).stdout, 'x\n');
  assert.match(warnings.join('\n'), /host key checking is off/);
  assert.not.ok(existsSync(known('off')));
});

test('ssh_config aliases: HostName, Port, User, IdentityFile resolve; inventory values win', async () => {
  clearSshConfigCache();
  const cfg = join(root, 'ssh_config');
  writeFileSync(
    cfg,
    `Host pbx-alias\n  HostName ${a.address}\n  Port ${port}\n  User root\n  IdentityFile ${key.key}\n  ConnectTimeout 2\n  ServerAliveInterval 1\n\nHost *\n  User nobody-here\n`,
  );
  const spec: InventorySpec = {
    defaults: { knownHostsFile: known('cfg'), hostKeyChecking: 'accept-new', sshConfigFile: cfg },
    hosts: { 'pbx-alias': {}, 'pbx-over': { address: 'pbx-alias', port: 1 } },
  };
  const inv = buildInventory(join(root, 'inv.ts'), spec);
  const c = connectionFor(inv.hosts[0]!, () => {}) as SshConnection;
  opened.push(c);
  assert.is(c.address, `${a.address}:${port}`);
  assert.is(c.user, 'root');
  assert.is(c.options.connectTimeoutMs, 2000);
  assert.is(c.options.keepaliveIntervalMs, 1000);
  assert.is((await c.exec('echo via-alias')).stdout, 'via-alias\n');
  // The inventory's address is used as given (the config's HostName does not replace it), and its port wins.
  const o = connectionFor(inv.hosts[1]!, () => {}) as SshConnection;
  assert.is(o.address, 'pbx-alias:1');
  assert.is(o.user, 'root');
});

test('agent authentication: a key only in ssh-agent logs in', async () => {
  const agentDir = mkdtempSync(join(tmpdir(), 'ucw-agent-'));
  const sock = join(agentDir, 'agent.sock');
  const out = execFileSync('ssh-agent', ['-a', sock], { encoding: 'utf8' });
  const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(out)![1]);
  const saved = process.env.SSH_AUTH_SOCK;
  try {
    execFileSync('ssh-add', [key.key], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
    process.env.SSH_AUTH_SOCK = sock;
    const c = conn({ address: a.address, identityFiles: [], agent: true });
    assert.is((await c.exec('echo agent')).stdout, 'agent\n');
  } finally {
    if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
    else process.env.SSH_AUTH_SOCK = saved;
    process.kill(pid);
    rmSync(agentDir, { recursive: true, force: true });
  }
});

test('no agent and no usable key: auth refused, naming host, address, what was tried', async () => {
  const saved = process.env.SSH_AUTH_SOCK;
  delete process.env.SSH_AUTH_SOCK;
  try {
    const c = conn({ host: 'pbx-nokey', address: a.address, identityFiles: [join(root, 'missing')], agent: true });
    const e = await c.exec('true').then(
      () => undefined,
      (x: unknown) => x,
    );
    assert.instance(e, SshAuthError);
    const m = (e as Error).message;
    assert.match(m, /^pbx-nokey \(127\.0\.0\.51:\d+\) unreachable: authentication refused for user root/);
    assert.match(m, /no ssh-agent \(SSH_AUTH_SOCK is not set\)/);
    assert.match(m, /no identity file found/);
  } finally {
    if (saved !== undefined) process.env.SSH_AUTH_SOCK = saved;
  }
});

test('a wrong key is refused and named with its fingerprint', async () => {
  const c = conn({ host: 'pbx-wrongkey', address: a.address, identityFiles: [other.key] });
  const e = await c.exec('true').then(
    () => undefined,
    (x: unknown) => x,
  );
  assert.instance(e, SshAuthError);
  assert.match((e as Error).message, new RegExp(`tried key ${other.key} \\(SHA256:[A-Za-z0-9+/]+\\)`));
});

test('an encrypted key takes its passphrase from the env var, once; a wrong one is named', async () => {
  clearKeyCache();
  const dir = mkdtempSync(join(tmpdir(), 'ucw-enc-'));
  const k = join(dir, 'id_enc');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'sesame-42', '-f', k]);
  writeFileSync(join(a.dir, 'authorized_keys'), key.publicKey + readFileSync(k + '.pub', 'utf8'));
  try {
    process.env.UCW_TEST_KEYPASS = 'sesame-42';
    let asked = 0;
    const ask = async () => (asked++, undefined);
    const c = conn({ address: a.address, identityFiles: [k], passphraseEnv: 'UCW_TEST_KEYPASS', askPassphrase: ask });
    assert.is((await c.exec('echo enc')).stdout, 'enc\n');
    assert.is(asked, 0);
    clearKeyCache();
    let prompts = 0;
    const ask2 = async () => (prompts++, 'sesame-42');
    await Promise.all([1, 2, 3].map(() => conn({ address: a.address, identityFiles: [k], askPassphrase: ask2 }).exec('true')));
    assert.is(prompts, 1, 'asked once for three connections');
    clearKeyCache();
    process.env.UCW_TEST_KEYPASS = 'wrong';
    const e = await conn({ address: a.address, identityFiles: [k], passphraseEnv: 'UCW_TEST_KEYPASS' })
      .exec('true')
      .then(
        () => undefined,
        (x: unknown) => x,
      );
    assert.match((e as Error).message, /wrong passphrase for identity file .*id_enc/);
  } finally {
    delete process.env.UCW_TEST_KEYPASS;
    clearKeyCache();
    writeFileSync(join(a.dir, 'authorized_keys'), key.publicKey);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('password authentication; a wrong password is refused', async () => {
  const c = conn({ address: pw.address, user: PWUSER, identityFiles: [], password: PASSWORD });
  assert.is((await c.exec('id -un')).stdout, `${PWUSER}\n`);
  const bad = conn({ host: 'pbx-pw', address: pw.address, user: PWUSER, identityFiles: [], password: 'nope-nope' });
  const e = await bad.exec('true').then(
    () => undefined,
    (x: unknown) => x,
  );
  assert.instance(e, SshAuthError);
  assert.match((e as Error).message, /pbx-pw \(127\.0\.0\.53:\d+\) unreachable: authentication refused for user ucwpw\d+: tried password/);
});

test('password from the env var the inventory names (or --ask-pass); registered as a secret', async () => {
  const { mask } = await import('../../runner/model/secrets.ts');
  const inv = buildInventory(join(root, 'inv-pw.ts'), {
    defaults: {
      knownHostsFile: known('pwenv'),
      hostKeyChecking: 'accept-new',
      sshConfigFile: join(root, 'none'),
      identityFile: join(root, 'none'),
    },
    hosts: {
      viaenv: { address: pw.address, port, user: PWUSER, passwordEnv: 'UCW_T_SSH_PW' },
      viaask: { address: pw.address, port, user: PWUSER },
    },
  });
  process.env.UCW_T_SSH_PW = PASSWORD;
  try {
    const c = connectionFor(inv.hosts[0]!, () => {}) as SshConnection;
    opened.push(c);
    assert.is((await c.exec('id -un')).stdout, `${PWUSER}\n`);
    assert.is(mask(`x ${PASSWORD} y`), 'x *** y');
  } finally {
    delete process.env.UCW_T_SSH_PW;
  }
  assert.throws(() => connectionFor(inv.hosts[0]!, () => {}), /reads the SSH password from \$UCW_T_SSH_PW, which is not set/);
  const k = connectionFor(inv.hosts[1]!, () => {}, { sshPassword: PASSWORD }) as SshConnection;
  opened.push(k);
  assert.is((await k.exec('id -un')).stdout, `${PWUSER}\n`);
});

test('sshd reloaded (SIGHUP) just before each connect: every connect gets in, the refusals are named in a warning', async () => {
  // sshd re-executes itself on SIGHUP and has no listener for a moment: what a playbook's
  // "reload sshd" handler leaves behind for the next run
  const warnings: string[] = [];
  for (let i = 0; i < 10; i++) {
    process.kill(a.pid()!, 'SIGHUP');
    const c = conn({ address: a.address, knownHostsFiles: [known('hup')], warn: (m) => warnings.push(m) });
    assert.is((await c.exec('echo in')).stdout, 'in\n', `connect ${i + 1} after SIGHUP`);
    await c.close();
  }
  for (const w of warnings.filter((x) => !x.startsWith('learned new host key')))
    assert.match(
      w,
      /^127\.0\.0\.51 \(127\.0\.0\.51:\d+\) refused the connection, then accepted it on try \d after [\d.]+ s \(sshd reloading or restarting\?\)$/,
    );
});

test('unreachable and timeout errors name host and address', async () => {
  const refused = await conn({ host: 'pbx-down', address: '127.0.0.59' })
    .exec('true')
    .then(
      () => undefined,
      (x: unknown) => x,
    );
  assert.instance(refused, UnreachableError);
  assert.match(
    (refused as Error).message,
    /^pbx-down \(127\.0\.0\.59:\d+\) unreachable: connection refused \(is sshd running on that port\?\); 5 tries over [\d.]+ s$/,
  );
  // A port that accepts TCP but never speaks SSH: the handshake times out.
  const { createServer } = await import('node:net');
  const mute = createServer(() => {});
  await new Promise<void>((r) => mute.listen(port, '127.0.0.58', r));
  try {
    const t0 = Date.now();
    const e = await conn({ host: 'pbx-mute', address: '127.0.0.58', connectTimeoutMs: 1000 })
      .exec('true')
      .then(
        () => undefined,
        (x: unknown) => x,
      );
    assert.instance(e, UnreachableError);
    assert.match((e as Error).message, /^pbx-mute \(127\.0\.0\.58:\d+\) unreachable: SSH handshake timed out after 1 s/);
    assert.ok(Date.now() - t0 < 3000);
  } finally {
    mute.close();
  }
});

test('a jump through one sshd to another; through two hops; a hop that cannot forward fails, named', async () => {
  const hop = (s: TestSshd) => ({ host: `root@${s.address}:${port}`, address: s.address, port, user: 'root', identityFiles: [key.key] });
  const c = conn({ host: 'pbx-behind', address: b.address, jumps: [hop(a)] });
  assert.is((await c.exec('echo one hop')).stdout, 'one hop\n');
  const two = conn({ host: 'pbx-behind2', address: b.address, jumps: [hop(a), hop(pw)] });
  assert.is((await two.exec('echo two hops')).stdout, 'two hops\n');
  // b refuses forwarding: going through it must fail, which proves the hop is really used.
  const e = await conn({ host: 'pbx-via-b', address: a.address, jumps: [hop(a), hop(b)] })
    .exec('true')
    .then(
      () => undefined,
      (x: unknown) => x,
    );
  assert.instance(e, UnreachableError);
  assert.match(
    (e as Error).message,
    /^pbx-via-b \(127\.0\.0\.51:\d+\) unreachable: jump host root@127\.0\.0\.52:\d+ \(127\.0\.0\.52:\d+\) could not connect to it/,
  );
});

test('inventory `jump` is used by connectionFor', async () => {
  clearSshConfigCache();
  const inv = buildInventory(join(root, 'inv2.ts'), {
    defaults: {
      knownHostsFile: known('inv-jump'),
      hostKeyChecking: 'accept-new',
      sshConfigFile: join(root, 'none'),
      user: 'root',
      identityFile: key.key,
    },
    hosts: {
      behind: { address: pw.address, port, jump: `root@${a.address}:${port}` },
      blocked: { address: a.address, port, jump: [`root@${b.address}:${port}`] },
    },
  });
  const c = connectionFor(inv.hosts[0]!, () => {}) as SshConnection;
  opened.push(c);
  assert.is(c.options.jumps?.length, 1);
  assert.is((await c.exec('echo jumped')).stdout, 'jumped\n');
  const blocked = connectionFor(inv.hosts[1]!, () => {}) as SshConnection;
  opened.push(blocked);
  await blocked.exec('true').then(
    () => assert.unreachable('b forwards nothing'),
    (e: Error) => assert.match(e.message, /could not connect/),
  );
});

test.run();
