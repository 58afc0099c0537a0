// Output that is not held whole (issue 14 item 8, the connection side), against a real sshd on
// every way a command reaches the host (the task agent, the sh loop, an exec channel, sudo per
// command): a bounded result keeps a head and a tail and says how much it cut while every byte
// streams; a full result (what fact reads get) fails loudly past its cap instead of being cut.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loopbackConnection, makeClientKey, startSshd, portBase, type TestSshd } from '../support/sshd.ts';
import type { SshConnection } from '../../runner/connection/ssh.ts';
import { OutputLimitError, BOUNDED_KEEP } from '../../runner/connection/connection.ts';
import { execAsRoot } from '../../runner/connection/sudo.ts';

const root = mkdtempSync(join(tmpdir(), 'ucw-output-'));
const port = portBase() + 4;
const key = makeClientKey();
let s: TestSshd;
const opened: SshConnection[] = [];
const MB = 1_000_000;
// 30 MB of output in lines, then a last line: more than any bounded result keeps.
const BIG = `i=0; while [ $i -lt 30 ]; do head -c ${MB} /dev/zero | tr '\\0' x; i=$((i+1)); done; echo; echo last-line`;

const ways = [
  { name: 'task agent', o: { channel: 'persistent' as const, taskRunner: 'agent' as const } },
  { name: 'sh loop', o: { channel: 'persistent' as const, taskRunner: 'sh' as const } },
  { name: 'exec channel', o: { channel: 'exec' as const } },
];

function conn(name: string, o: object): SshConnection {
  const c = loopbackConnection(key, join(root, 'known_hosts'), { host: `out-${name.replace(/ /g, '-')}`, address: s.address, port, ...o });
  opened.push(c);
  return c;
}

const hasSudo = spawnSync('sh', ['-c', 'command -v sudo']).status === 0;
const SUDOER = `ucwou${process.pid % 10000}`;
const sudoersFile = `/etc/sudoers.d/ucw-output-${process.pid % 10000}`;

test.before(async () => {
  s = await startSshd({ name: 'output', address: '127.0.0.94', port, client: key });
  if (!hasSudo) return;
  spawnSync('userdel', ['-r', SUDOER], { stdio: 'ignore' });
  execFileSync('useradd', ['-m', '-s', '/bin/sh', SUDOER]);
  execFileSync('chpasswd', { input: `${SUDOER}:Out-${Math.random().toString(36).slice(2)}\n` });
  writeFileSync(sudoersFile, `${SUDOER} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
});

test.after(async () => {
  for (const c of opened) await c.close();
  await s?.stop();
  if (hasSudo) {
    rmSync(sudoersFile, { force: true });
    spawnSync('userdel', ['-r', SUDOER], { stdio: 'ignore' });
  }
  rmSync(root, { recursive: true, force: true });
});

for (const w of ways) {
  test(`${w.name}: 30 MB bounded keeps head and tail and says what it cut; full past a cap fails naming host and command`, async () => {
    const c = conn(w.name, w.o);
    let streamed = 0;
    let lastLine = '';
    const r = await c.exec(BIG, { keep: 'bounded', onData: (_s, d) => (streamed += d.length), onLine: (_s, l) => (lastLine = l) });
    assert.is(r.exitCode, 0);
    assert.is(streamed, 30 * MB + 1 + 'last-line\n'.length, 'every byte streamed');
    assert.is(lastLine, 'last-line');
    assert.ok(r.stdout.length < 2 * BOUNDED_KEEP + 100, `kept ${r.stdout.length} characters`);
    assert.ok(r.stdout.startsWith('xxxx') && r.stdout.endsWith('x\nlast-line\n'));
    assert.is(r.cut!.stdout, streamed - 2 * BOUNDED_KEEP);
    const e = await c.exec(BIG, { keepBytes: 4 * MB }).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.instance(e, OutputLimitError, `got ${String(e)}`);
    assert.match((e as Error).message, new RegExp(`^out-${w.name.replace(/ /g, '-')}: the stdout of \`i=0; .*\` passed 4000000 bytes`));
    assert.is((await c.exec('echo still-usable')).stdout, 'still-usable\n', 'the connection goes on');
    const small = await c.exec('printf "%s\\n" a b c');
    assert.equal([small.stdout, small.cut], ['a\nb\nc\n', undefined], 'a full result under its cap is whole and uncut');
  });
}

for (const channel of ['exec', 'persistent'] as const) {
  test(`become through sudo (${channel === 'exec' ? 'sudo per command' : 'the root shell'}): bounded keeps head and tail, full past a cap fails`, async () => {
    if (!hasSudo) return console.log('  (sudo not installed: skipped)');
    const c = conn(`sudo ${channel}`, { user: SUDOER, channel });
    let streamed = 0;
    const r = await execAsRoot(c, `id -u; ${BIG}`, { keep: 'bounded', onData: (_s, d) => (streamed += d.length) });
    assert.is(r.exitCode, 0);
    assert.ok(r.stdout.startsWith('0\nxxx') && r.stdout.endsWith('x\nlast-line\n'), r.stdout.slice(0, 40));
    assert.ok(r.stdout.length < 2 * BOUNDED_KEEP + 100, `kept ${r.stdout.length} characters`);
    assert.is(r.cut!.stdout, streamed - 2 * BOUNDED_KEEP);
    const e = await execAsRoot(c, BIG, { keepBytes: 4 * MB }).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.instance(e, OutputLimitError, `got ${String(e)}`);
    assert.is((await execAsRoot(c, 'id -u')).stdout, '0\n');
  });
}

test.run();
