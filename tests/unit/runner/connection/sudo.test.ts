// The sudo state machine against a scripted fake sudo (chunks split anywhere), and the no-echo prompt.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PassThrough } from 'node:stream';
import { execAsRoot, becomeCommand, BecomeError } from '../../../../runner/connection/sudo.ts';
import { askSecret } from '../../../../runner/cli/prompt.ts';
import type { BecomeSettings, Connection, ExecOptions, ExecResult, StdinWriter } from '../../../../runner/connection/connection.ts';

/** A connection whose "sudo" is a script reacting to what the runner writes on stdin. */
class FakeSudo implements Connection {
  readonly kind = 'ssh' as const;
  readonly host = 'pbx-fake';
  readonly address = '10.0.0.1:22';
  lines: string[] = [];
  written = '';
  constructor(
    readonly user: string,
    public become: BecomeSettings | undefined,
    /** Gets the prompt and marker, a way to emit output, and the stdin seen so far; returns an exit code when done. */
    private readonly script: (io: {
      prompt: string;
      success: string;
      out(s: 'stdout' | 'stderr', t: string): void;
      raw(s: 'stdout' | 'stderr', b: Buffer): void;
      stdin(): string;
      ended(): boolean;
    }) => AsyncGenerator<void, number>,
  ) {}
  async connect() {}
  async reset() {}
  async close() {}
  async exec(line: string, o: ExecOptions = {}): Promise<ExecResult> {
    this.lines.push(line);
    const prompt = /-p '([^']+)'/.exec(line)?.[1] ?? '';
    const success = /echo (BECOME-SUCCESS-[0-9a-f]+)/.exec(line)?.[1] ?? '';
    let ended = false;
    let killed = false;
    const out = { stdout: '', stderr: '' };
    const w: StdinWriter = {
      write: (d) => void (this.written += d.toString()),
      end: (d) => {
        if (d !== undefined) this.written += d.toString();
        ended = true;
      },
      kill: () => void (killed = true),
    };
    if (o.interact) o.interact(w);
    else w.end(o.stdin);
    const emit = (s: 'stdout' | 'stderr', t: string) => {
      out[s] += t;
      o.onData?.(s, Buffer.from(t));
    };
    const raw = (s: 'stdout' | 'stderr', b: Buffer) => {
      out[s] += b.toString();
      o.onData?.(s, b);
    };
    const gen = this.script({ prompt, success, out: emit, raw, stdin: () => this.written, ended: () => ended });
    let r = await gen.next();
    while (!r.done && !killed) {
      await new Promise((res) => setTimeout(res, 5));
      r = await gen.next();
    }
    return { stdout: out.stdout, stderr: out.stderr, exitCode: killed ? null : (r.value as number), durationMs: 1 };
  }
}

const PW = 'correct horse';

/** sudo that asks, checks, then runs `cat` (echoing the task's stdin); the marker and prompt arrive in pieces. */
async function* sudoCat(io: Parameters<ConstructorParameters<typeof FakeSudo>[2]>[0]): AsyncGenerator<void, number> {
  const half = Math.floor(io.prompt.length / 2);
  io.out('stderr', io.prompt.slice(0, half));
  yield;
  io.out('stderr', io.prompt.slice(half));
  for (let i = 0; i < 100 && !io.stdin().includes('\n'); i++) yield;
  if (io.stdin() !== PW + '\n') {
    io.out('stderr', '\nSorry, try again.\n' + io.prompt);
    for (let i = 0; i < 100 && !io.ended(); i++) yield;
    io.out('stderr', 'sudo: 1 incorrect password attempt\n');
    return 1;
  }
  io.out('stdout', io.success.slice(0, 5));
  yield;
  io.out('stdout', io.success.slice(5) + '\nfirst');
  for (let i = 0; i < 100 && !io.ended(); i++) yield;
  io.out('stdout', ' line\n' + io.stdin().slice(PW.length + 1));
  io.out('stderr', 'warning: x\n');
  return 0;
}

test('becomeCommand: -S with a random prompt and marker; -n without a password; no secret on the line', () => {
  const a = becomeCommand('apt-get update', true);
  const b = becomeCommand('apt-get update', true);
  assert.is.not(a.prompt, b.prompt);
  assert.match(a.line, /^sudo -S -p '\[sudo via ucw-runner, key=[0-9a-f]{16}\] password:' -H -- sh -c /);
  assert.ok(a.line.includes(`echo ${a.success}\napt-get update`));
  assert.match(becomeCommand('x', false).line, /^sudo -n -H -- sh -c /);
});

test('the password goes in after the prompt, the task stdin after the marker; both are cut from the output', async () => {
  const c = new FakeSudo('ucware', { password: PW }, sudoCat);
  const lines: string[] = [];
  const r = await execAsRoot(c, 'cat', { stdin: 'SELECT 1;\n', onLine: (s, l) => lines.push(`${s}:${l}`) });
  assert.is(r.exitCode, 0);
  assert.is(r.stdout, 'first line\nSELECT 1;\n');
  assert.is(r.stderr, 'warning: x\n');
  assert.is(c.written, `${PW}\nSELECT 1;\n`);
  assert.equal(lines, ['stdout:first line', 'stdout:SELECT 1;', 'stderr:warning: x']);
  assert.not.ok(c.lines[0]!.includes(PW));
});

test('multi-byte characters split across chunks come through intact', async () => {
  const c = new FakeSudo('ucware', { password: PW }, async function* (io) {
    io.out('stderr', io.prompt);
    for (let i = 0; i < 100 && !io.stdin(); i++) yield;
    const bytes = Buffer.from(io.success + '\nÜberprüfe Abhängigkeiten\n');
    const cut = bytes.indexOf(Buffer.from('Ü')) + 1; // inside the two bytes of Ü
    io.raw('stdout', bytes.subarray(0, cut));
    yield;
    io.raw('stdout', bytes.subarray(cut));
    return 0;
  });
  const r = await execAsRoot(c, 'apt-get check');
  assert.is(r.stdout, 'Überprüfe Abhängigkeiten\n');
});

test('a wrong password: the second prompt ends it as "incorrect", with the source named', async () => {
  const c = new FakeSudo('ucware', { password: 'nope', passwordSource: '--ask-become-pass' }, sudoCat);
  try {
    await execAsRoot(c, 'true');
    assert.unreachable();
  } catch (e) {
    assert.instance(e, BecomeError);
    assert.is((e as BecomeError).reason, 'wrong-password');
    assert.is((e as Error).message, 'pbx-fake: incorrect sudo password for ucware (from --ask-become-pass)');
  }
  assert.is(c.written, 'nope\n', 'the password was written once');
});

test('no password known: sudo -n, and its refusal becomes "password required"', async () => {
  const c = new FakeSudo('ucware', { passwordSource: 'the inventory names $X for it, which is not set' }, async function* (io) {
    io.out('stderr', 'sudo: a password is required\n');
    return 1;
  });
  const e = await execAsRoot(c, 'true').then(
    () => undefined,
    (x: unknown) => x,
  );
  assert.is((e as BecomeError).reason, 'password-required');
  assert.match((e as Error).message, /none was given: the inventory names \$X for it, which is not set/);
  assert.match(c.lines[0]!, /^sudo -n /);
});

test('not in sudoers, and a sudo that never answers (escalation timeout)', async () => {
  const ns = new FakeSudo('ucware', { password: PW }, async function* (io) {
    io.out('stderr', io.prompt);
    for (let i = 0; i < 100 && !io.stdin(); i++) yield;
    io.out('stderr', '\nucware is not in the sudoers file.  This incident will be reported.\n');
    return 1;
  });
  const e = await execAsRoot(ns, 'true').then(
    () => undefined,
    (x: unknown) => x,
  );
  assert.is((e as BecomeError).reason, 'not-allowed');
  const hang = new FakeSudo('ucware', { password: PW, timeoutMs: 100 }, async function* () {
    for (;;) yield;
  });
  const t = await execAsRoot(hang, 'true').then(
    () => undefined,
    (x: unknown) => x,
  );
  assert.is((t as BecomeError).reason, 'timeout');
  assert.match((t as Error).message, /timed out after 0\.1 s waiting for sudo/);
});

test('a root login runs the line as is', async () => {
  const c = new FakeSudo('root', undefined, async function* () {
    return 0;
  });
  await execAsRoot(c, 'id -u', { stdin: 'x' });
  assert.equal(c.lines, ['id -u']);
});

function fakeTty() {
  const input = Object.assign(new PassThrough(), {
    isTTY: true,
    raw: false,
    setRawMode(r: boolean) {
      this.raw = r;
      return this;
    },
  });
  const output = new PassThrough();
  let shown = '';
  output.on('data', (d) => (shown += d.toString()));
  return { input, output, shown: () => shown };
}

test('askSecret: no echo, backspace works, prompts never interleave, no TTY → undefined', async () => {
  const t = fakeTty();
  const first = askSecret('BECOME password: ', t);
  const second = askSecret('Passphrase for k: ', t);
  // typed before the prompt showed: thrown away, it must not answer
  t.input.write('early\r');
  await new Promise((r) => setTimeout(r, 150));
  assert.is(t.shown(), 'BECOME password: ', 'the second prompt waits for the first answer');
  assert.ok(t.input.raw);
  t.input.write('s3cretX\u007f\r');
  assert.is(await first, 's3cret');
  await new Promise((r) => setTimeout(r, 150));
  t.input.write('pp\n');
  assert.is(await second, 'pp');
  assert.is(t.shown(), 'BECOME password: \nPassphrase for k: \n');
  assert.not.ok(t.input.raw);
  const notty = await askSecret('x', { input: new PassThrough(), output: new PassThrough() });
  assert.is(notty, undefined);
});

test.run();
