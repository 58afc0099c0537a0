// The shell channel itself under the local /bin/sh: the sh loop and the task agent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { ShellChannel, SHELL_LOOP, TASK_AGENT, type RawChannel } from '../../../../runner/connection/shellChannel.ts';

/** The loop (or the task agent) under the local /bin/sh, on pipes instead of an SSH channel. */
function localShell(server: 'sh loop' | 'agent'): Promise<{ sc: ShellChannel; kill: () => void }> {
  const child = spawn('sh', ['-c', SHELL_LOOP, 'ucw-sh', '/bin/sh', server === 'agent' ? TASK_AGENT : ''], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let so: (d: Buffer) => void = () => {};
  let se: (d: Buffer) => void = () => {};
  child.stdout.on('data', (d: Buffer) => so(d));
  child.stderr.on('data', (d: Buffer) => se(d));
  const raw: RawChannel = {
    write: (d) => (child.stdin.write(d), true),
    listen: (o, e) => ((so = o), (se = e)),
    close: () => child.kill('SIGKILL'),
  };
  return ShellChannel.open(raw, 'local', 5000).then((sc) => {
    child.once('exit', (code, sig) => sc.gone(`exit ${code ?? sig}`));
    return { sc, kill: () => child.kill('SIGKILL') };
  });
}

for (const server of ['sh loop', 'agent'] as const) {
  test(`${server} under the local sh: framing, isolation, stdin, status, timeout`, async () => {
    const { sc, kill } = await localShell(server);
    try {
      let r = await sc.run('printf "a\\000b"; printf err >&2; exit 3');
      assert.equal([r.stdout, r.stderr, r.exitCode], ['a\0b', 'err', 3]);
      r = await sc.run('cd /; X=1; export Y=2');
      r = await sc.run('pwd; echo "${X-u}${Y-u}"');
      assert.is(r.stdout, `${process.cwd()}\nuu\n`, 'cd and variables did not leak');
      r = await sc.run('cat; echo', { stdin: 'given' });
      assert.is(r.stdout, 'given\n');
      r = await sc.run('cat');
      assert.is(r.stdout, '');
      r = await sc.run('kill -TERM $$');
      assert.equal([r.exitCode, r.signal], [null, 'SIGTERM']);
      r = await sc.run('sleep 20', { timeoutMs: 300 });
      assert.equal([r.exitCode, r.signal, r.timedOut], [null, 'SIGKILL', true]);
      r = await sc.run('echo still-there');
      assert.is(r.stdout, 'still-there\n');
      assert.is(sc.tasks, 8);
    } finally {
      kill();
    }
  });

  test(`${server} dies mid-task: the task comes back failed with an unknown outcome`, async () => {
    const { sc } = await localShell(server);
    const running = sc.run('sleep 2; echo done');
    setTimeout(() => process.kill(sc.pid, 'SIGKILL'), 200);
    const r = await running;
    assert.is(r.exitCode, null);
    assert.is(r.outcomeUnknown, true);
    assert.is(sc.dead, true);
  });
}

/** A scripted server on a fake channel: the test answers each task by hand. */
async function scripted() {
  const written: string[] = [];
  let so: (d: Buffer) => void = () => {};
  const raw: RawChannel = { write: (d) => (written.push(d.toString()), true), listen: (o) => (so = o), close: () => {} };
  const opening = ShellChannel.open(raw, 'fake', 1000);
  const say = (text: string) => so(Buffer.from(text));
  say(`${written[0]!.trim()} R 42 agent nodump\n`);
  const sc = await opening;
  /** The nonce of the task just sent (the header's last field). */
  const nonce = () => /^\d+ \d+ \S+ (\S+)\n/.exec(written.at(-1)!)![1]!;
  return { sc, say, nonce };
}

test("a status line with an earlier task's nonce never ends the running task; a foreign pid line breaks the channel", async () => {
  const { sc, say, nonce } = await scripted();
  assert.is(sc.dumpable, false);
  const t1 = sc.run('one');
  const n1 = nonce();
  say(`${n1} P 100\nout1\n\n${n1} X 0 x 0 ~0\n`);
  assert.equal([(await t1).stdout, (await t1).exitCode], ['out1\n', 0]);
  const t2 = sc.run('two');
  const n2 = nonce();
  assert.is.not(n2, n1);
  let settled = false;
  void t2.then(() => (settled = true));
  say(`${n2} P 101\n`);
  say(`\n${n1} X 0 x 0 ~0\n`); // late, or forged from a nonce read earlier
  await new Promise((r) => setTimeout(r, 20));
  assert.is(settled, false, 'the old nonce did not end task 2');
  say(`\n${n2} X 0 x 7 ~0\n`);
  const r2 = await t2;
  assert.is(r2.exitCode, 7);
  assert.is(r2.stdout, `\n${n1} X 0 x 0 ~0\n`, 'the foreign line is output, nothing more');
  const t3 = sc.run('three');
  say(`${n2} P 102\n\n${n2} X 0 x 0 ~0\n`); // task 2's answer again, where task 3's belongs
  const r3 = await t3;
  assert.equal([r3.exitCode, r3.outcomeUnknown], [null, true], 'a status that is not its own fails the task');
  assert.is(sc.dead, true);
});

test('the agent makes itself non-dumpable; the sh loop cannot', async () => {
  for (const [server, dumpable] of [
    ['agent', false],
    ['sh loop', true],
  ] as const) {
    const { sc, kill } = await localShell(server);
    try {
      assert.is(sc.dumpable, dumpable, server);
      // The kernel's view: a non-dumpable process's /proc entries belong to root, not to its user.
      if (!dumpable && process.getuid!() !== 0) assert.is(statSync(`/proc/${sc.pid}/mem`).uid, 0);
    } finally {
      kill();
    }
  }
});

test.run();
