// The shell channel itself under the local /bin/sh: the sh loop and the task agent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { ShellChannel, SHELL_LOOP, TASK_AGENT, type RawChannel } from '../../../../runner/connection/shellChannel.ts';

/** The loop (or the task agent) under the local /bin/sh, on pipes instead of an SSH channel. */
function localShell(server: 'sh loop' | 'agent'): Promise<{ sc: ShellChannel; kill: () => void }> {
  const child = spawn('sh', ['-c', SHELL_LOOP, 'ucw-sh', '/bin/sh', server === 'agent' ? TASK_AGENT : ''], { stdio: ['pipe', 'pipe', 'pipe'] });
  let so: (d: Buffer) => void = () => {};
  let se: (d: Buffer) => void = () => {};
  child.stdout.on('data', (d: Buffer) => so(d));
  child.stderr.on('data', (d: Buffer) => se(d));
  const raw: RawChannel = { write: (d) => (child.stdin.write(d), true), listen: (o, e) => ((so = o), (se = e)), close: () => child.kill('SIGKILL') };
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

test.run();
