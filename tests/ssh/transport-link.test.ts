// Links that break: a host whose sshd goes silent mid-task is unreachable within the keepalive
// bound while the other host finishes; the next command reconnects; a detached command keeps
// running through cut links and the runner reports its whole output and real exit status.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  writeLoopbackInventory,
  stillUnder,
  loopbackConnection,
  makeClientKey,
  startSshd,
  portBase,
  type TestSshd,
} from '../support/sshd.ts';
import { SshConnection } from '../../runner/connection/ssh.ts';
import { runDetached } from '../../runner/connection/detached.ts';
import { runPlaybook } from '../../runner/cli/run.ts';
import { UnreachableError } from '../../runner/model/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'ucw-link-'));
const port = portBase() + 3;
const key = makeClientKey();
let x: TestSshd;
let y: TestSshd;
const opened: SshConnection[] = [];

/** Freeze every process of the host's live sessions: the TCP link stays open but nothing answers. */
const freeze = (s: TestSshd) => signalAll(s.sessionPids(), 'SIGSTOP');
const cut = (pids: number[]) => signalAll(pids, 'SIGKILL');
function signalAll(pids: number[], sig: NodeJS.Signals): number[] {
  // Only processes that still descend from one of our test sshds: a pid reused since it was
  // listed (a session ended meanwhile) must never be signalled.
  const roots = [x?.pid(), y?.pid()].filter((r): r is number => r !== undefined);
  for (const p of pids) {
    if (!roots.some((r) => stillUnder(p, r))) continue;
    try {
      process.kill(p, sig);
    } catch {
      /* already gone */
    }
  }
  return pids;
}

function conn(s: TestSshd): SshConnection {
  const c = loopbackConnection(key, join(root, 'known_hosts'), {
    host: `pbx-${s.name}`,
    address: s.address,
    port,
    keepaliveIntervalMs: 1000,
    keepaliveCountMax: 2,
  });
  opened.push(c);
  return c;
}

test.before(async () => {
  x = await startSshd({ name: 'lx', address: '127.0.0.71', port, client: key });
  y = await startSshd({ name: 'ly', address: '127.0.0.72', port, client: key });
});

test.after(async () => {
  for (const c of opened) await c.close();
  for (const s of [x, y]) {
    cut(s?.sessionPids() ?? []);
    await s?.stop();
  }
  rmSync(root, { recursive: true, force: true });
});

test('a silent link fails the running command as unreachable within the keepalive bound; the next exec reconnects', async () => {
  const c = conn(x);
  assert.is((await c.exec('echo up')).stdout, 'up\n');
  const running = c.exec('sleep 30; echo never');
  await sleep(500);
  const t0 = Date.now();
  const frozen = freeze(x);
  assert.ok(frozen.length > 0, 'found the session processes');
  const e = await running.then(
    () => undefined,
    (err: unknown) => err,
  );
  const took = Date.now() - t0;
  cut(frozen);
  assert.instance(e, UnreachableError);
  assert.match(
    (e as Error).message,
    /^pbx-lx \(127\.0\.0\.71:\d+\) unreachable: connection lost while running a command \(Keepalive timeout\)/,
  );
  // The keepalive bound is ~3 s (1 s × 2, plus the missed reply); the command would take 30 s.
  // The margin is wide on purpose: a loaded 2-core machine delays timers by seconds, not tens.
  assert.ok(took < 15_000, `noticed after ${took} ms`);
  assert.is((await c.exec('echo again')).stdout, 'again\n', 'reconnected');
});

test('a link cut hard (sshd killed) fails at once as unreachable, not as a command result', async () => {
  const c = conn(x);
  await c.exec('true');
  const running = c.exec('sleep 30');
  await sleep(300);
  cut(x.sessionPids());
  const e = await running.then(
    (r) => r,
    (err: unknown) => err,
  );
  assert.instance(e, UnreachableError, `got ${JSON.stringify(e)}`);
  assert.is((await c.exec('echo back')).stdout, 'back\n');
});

test('runPlaybook: the frozen host is unreachable within the bound, the other host finishes', async () => {
  const inventory = join(root, 'inv.yml');
  const playbook = join(root, 'pb.ts');
  const json = join(root, 'events.jsonl');
  writeLoopbackInventory(inventory, {
    key,
    knownHosts: join(root, 'known_hosts'),
    vars: { serverAliveIntervalSec: 1, serverAliveCountMax: 2 },
    hosts: [`hx: { address: ${x.address}, port: ${port} }`, `hy: { address: ${y.address}, port: ${port} }`],
  });
  writeFileSync(
    playbook,
    `import { playbook } from ${JSON.stringify(join(process.cwd(), 'runner/index.ts'))};
import { command } from ${JSON.stringify(join(process.cwd(), 'modules/index.ts'))};
export default playbook({ name: 'link-drop' }, [
  command({ cmd: 'sleep 7; echo slept' }, { name: 'long task' }),
  command({ cmd: 'echo after' }, { name: 'next task' }),
]);
`,
  );
  const lines: string[] = [];
  const run = runPlaybook({ playbook, inventory, json, logsDir: join(root, 'logs'), view: 'plain', write: (l) => lines.push(l) });
  // Freeze hx once its long task is running.
  let frozen: number[] = [];
  for (let i = 0; i < 100 && frozen.length === 0; i++) {
    await sleep(100);
    if (existsSync(json) && /"type":"cmd:start","host":"hx"/.test(readFileSync(json, 'utf8'))) {
      await sleep(300);
      frozen = freeze(x);
    }
  }
  const frozenAt = Date.now();
  const r = await run;
  cut(frozen);
  assert.is(r.exitCode, 4, lines.join('\n'));
  assert.is(r.recap.hx!.unreachable, 1);
  assert.is(r.recap.hy!.ok, 2);
  const events = readFileSync(json, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; host?: string; status?: string; time: string });
  const down = events.find((e) => e.type === 'task:done' && e.host === 'hx' && e.status === 'unreachable');
  assert.ok(down, 'hx reported unreachable');
  // Order, not a thin time bound: hx is given up by the keepalives (~3 s) before hy's
  // `sleep 7` ends, which waiting for the frozen command could never do; the loose bound only
  // catches a keepalive that does not fire at all.
  const after = Date.parse(down!.time) - frozenAt;
  assert.ok(after < 15_000, `unreachable ${after} ms after the freeze`);
  const yLong = events.find((e) => e.type === 'task:done' && e.host === 'hy' && /long task/.test(JSON.stringify(e)));
  assert.ok(yLong && Date.parse(down!.time) <= Date.parse(yLong.time), 'hx was given up before hy finished the long task');
  const yDone = events.find((e) => e.type === 'task:done' && e.host === 'hy' && e.status !== undefined && /next/.test(JSON.stringify(e)));
  assert.ok(yDone && Date.parse(yDone.time) > Date.parse(down!.time), 'hy went on after hx was given up');
});

test('a detached command survives a hard cut and a silent link; output and exit status are complete', async () => {
  const c = conn(y);
  const got: string[] = [];
  const link: string[] = [];
  const job = runDetached(c, 'for i in $(seq 1 20); do echo "line $i"; sleep 1; done; echo bye >&2; exit 3', {
    pollMs: 300,
    onLine: (s, l) => got.push(`${s}:${l}`),
    onLinkChange: (state) => link.push(state),
  });
  const waitFor = async (n: number) => {
    while (got.filter((l) => l.startsWith('stdout:')).length < n) await sleep(100);
  };
  await waitFor(4);
  cut(y.sessionPids()); // hard: sshd and everything it ran for us is killed
  await waitFor(9);
  const frozen = freeze(y); // silent: only keepalives notice
  await sleep(4000);
  cut(frozen);
  const r = await job;
  assert.is(r.exitCode, 3);
  assert.is(r.launcher, 'setsid');
  assert.equal(
    r.stdout.trim().split('\n'),
    Array.from({ length: 20 }, (_, i) => `line ${i + 1}`),
  );
  assert.is(r.stderr, 'bye\n');
  assert.equal(got.filter((l) => l.startsWith('stdout:')).length, 20, 'each line streamed once');
  assert.ok(r.reconnects >= 2, `reconnects: ${r.reconnects}`);
  assert.ok(c.connects >= 3, `connected ${c.connects} times`);
  assert.equal(link.length % 2, 0, 'every outage seen was followed by a reattach');
  assert.ok(r.durationMs >= 19_000 && r.durationMs < 40_000, `ran ${r.durationMs} ms: not restarted`);
  assert.is((await c.exec(`test -e ${r.dir} && echo left || echo cleaned`)).stdout, 'cleaned\n');
});

test('a detached command with stdin, as the login user, and its timeout', async () => {
  const c = conn(x);
  const r = await runDetached(c, 'cat; echo done', { stdin: 'from stdin\n', pollMs: 200 });
  assert.is(r.exitCode, 0);
  assert.is(r.stdout, 'from stdin\ndone\n');
  const t = await runDetached(c, 'echo start; sleep 60', { pollMs: 200, timeoutMs: 1000 });
  assert.ok(t.timedOut);
  assert.is(t.exitCode, null);
  assert.is(t.stdout, 'start\n');
});

test('runDetached from a module (ModuleContext): output streams as task output, the result is the real exit status', async () => {
  const inventory = join(root, 'inv-mod.yml');
  const playbook = join(root, 'pb-mod.ts');
  const json = join(root, 'events-mod.jsonl');
  writeFileSync(
    inventory,
    `all:
  vars: { user: root, identityFile: ${key.key}, knownHostsFile: ${join(root, 'known_hosts')}, hostKeyChecking: accept-new }
  hosts:
    hy: { address: ${y.address}, port: ${port} }
`,
  );
  const rt = (f: string) => JSON.stringify(join(process.cwd(), 'runner', f));
  writeFileSync(
    playbook,
    `import { playbook, defineModule, change } from ${rt('index.ts')};
import { runDetached } from ${rt('connection/detached.ts')};
const longJob = defineModule<{ cmd: string }>({
  name: 'longJob',
  plan: (p) => change('run ' + p.cmd),
  apply: async (ctx, p) => {
    const r = await runDetached(ctx, p.cmd, { pollMs: 200 });
    return r.exitCode === 0 ? { changed: true, result: r.stdout } : { failed: 'exit ' + r.exitCode + ': ' + r.stderr.trim() };
  },
});
export default playbook({ name: 'detached-module' }, [
  longJob({ cmd: 'echo one; sleep 1; echo two' }, { name: 'ok job' }),
  longJob({ cmd: 'echo bad >&2; exit 7' }, { name: 'bad job', ignoreErrors: true }),
]);
`,
  );
  const lines: string[] = [];
  const r = await runPlaybook({ playbook, inventory, json, logsDir: join(root, 'logs'), view: 'plain', write: (l) => lines.push(l) });
  assert.is(r.exitCode, 0, lines.join('\n'));
  assert.is(r.recap.hy!.changed, 1);
  assert.is(r.recap.hy!.ignored, 1);
  const events = readFileSync(json, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; line?: string; error?: string; task?: string });
  const out = events.filter((e) => e.type === 'task:output' && e.task === 'ok job').map((e) => e.line);
  assert.ok(out.includes('one') && out.includes('two'), JSON.stringify(out));
  assert.ok(out.some((l) => /^detached as \S+ \(setsid\) in \/var\/lib\/ucw-runner\//.test(l!)));
  assert.match(events.find((e) => e.type === 'task:done' && e.task === 'bad job')!.error!, /exit 7: bad/);
});

test.run();
