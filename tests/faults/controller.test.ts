// Faults on the controller's side and in the input, against real sshd servers on loopback:
// one host of twenty unreachable, SIGKILL mid-rollout then --resume, Ctrl-C once and twice,
// and hostile input. Each outcome is recorded for tests/faults/RESULTS.md.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeLoopbackInventory, makeClientKey, startSshd, portBase, type TestSshd } from '../support/sshd.ts';
import { runPlaybook } from '../../runner/cli/run.ts';
import { typeCheck } from '../../runner/cli/typecheck.ts';
import { record, writeResults } from './results.ts';

const root = mkdtempSync(join(tmpdir(), 'ucw-faults-'));
const port = portBase() + 5;
const key = makeClientKey();
const servers: TestSshd[] = [];
const logsDir = join(root, 'logs');
const SLOW = 'tests/fixtures/faults/slow.ts';
const { FORCE_COLOR: _fc, ...baseEnv } = process.env;
const env = { ...baseEnv, NO_COLOR: '1' };

function inventory(name: string, hosts: { name: string; address: string; vars?: Record<string, string> }[]): string {
  const f = join(root, `${name}.yml`);
  const line = (h: (typeof hosts)[number]) =>
    `    ${h.name}: { address: ${h.address}, port: ${port}, dir: ${join(root, 'hosts', name, h.name)}${Object.entries(h.vars ?? {})
      .map(([k, v]) => `, ${k}: ${JSON.stringify(v)}`)
      .join('')} }`;
  return writeLoopbackInventory(f, { key, knownHosts: join(root, 'known_hosts'), hosts: hosts.map(line).map((l) => l.trim()) });
}

test.before(async () => {
  // The CLI type-checks SLOW first; a cold check takes seconds, which the timed tests should not wait for.
  assert.ok((await typeCheck([SLOW])).ok, `${SLOW} has type errors`);
  for (let i = 0; i < 19; i++) servers.push(await startSshd({ name: `f${i + 1}`, address: `127.0.1.${i + 1}`, port, client: key }));
});
test.after(async () => {
  for (const s of servers) await s.stop();
  writeResults();
  rmSync(root, { recursive: true, force: true });
});

test('1 of 20 hosts unreachable from the start: 19 complete, exit 4 names the one', async () => {
  const hosts = [...servers.map((s) => ({ name: s.name, address: s.address })), { name: 'f20', address: '127.0.1.20' }];
  const inv = inventory('twenty', hosts);
  const lines: string[] = [];
  const r = await runPlaybook({
    playbook: SLOW,
    inventory: inv,
    logsDir,
    view: 'plain',
    write: (l) => lines.push(l),
    serial: '100%',
    extraVars: { sleepSec: '0' },
  });
  const done = Object.entries(r.recap).filter(([, c]) => c.ok === 3 && c.failed === 0 && c.unreachable === 0).length;
  const out = lines.join('\n');
  const pass =
    r.exitCode === 4 &&
    done === 19 &&
    r.recap.f20!.unreachable === 1 &&
    /f20 \(127\.0\.1\.20:\d+\) unreachable: connection refused/.test(out);
  record({
    fault: '1 of 20 hosts unreachable from the start',
    expected: '19 complete; recap and exit code 4 name it',
    observed: `exit ${r.exitCode}; ${done} hosts ok=3; f20 unreachable=${r.recap.f20!.unreachable}`,
    pass,
  });
  assert.ok(pass, out);
});

test('SIGKILL of the controller mid-rollout, then --resume: nothing completed is repeated', async () => {
  const inv = inventory(
    'kill',
    servers.slice(0, 3).map((s) => ({ name: s.name, address: s.address, vars: { sleepSec: '3' } })),
  );
  const child = spawn('node', ['bin/run.js', SLOW, inv, '--plain'], {
    env: { ...env },
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const hostDir = (h: string) => join(root, 'hosts', 'kill', h);
  // Kill while the second host sleeps: its first task is done, its second is running.
  for (let i = 0; i < 200 && !existsSync(join(hostDir('f2'), 'count')); i++) await sleep(50);
  await sleep(500);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const killedAt = out;
  // run folders only: logs/ also holds what other tests keep for a look (report-screenshot.png)
  const runs = readdirSync(join(process.cwd(), 'logs'))
    .filter((f) => /^\d{8}-\d{6}-/.test(f))
    .sort();
  const lastRun = join(process.cwd(), 'logs', runs.at(-1)!);
  const journal = readFileSync(join(lastRun, 'journal.jsonl'), 'utf8');
  const runningRecordedDone = journal.split('\n').some((l) => l.includes('"host":"f2"') && l.includes('slow step'));
  const resumed = spawnSync('node', ['bin/run.js', SLOW, inv, '--plain', '--resume'], { env, encoding: 'utf8' });
  const counts = ['f1', 'f2', 'f3'].map(
    (h) =>
      readFileSync(join(hostDir(h), 'count'), 'utf8')
        .split('\n')
        .filter(Boolean).length,
  );
  const slept = ['f1', 'f2', 'f3'].map((h) =>
    existsSync(join(hostDir(h), 'slept'))
      ? readFileSync(join(hostDir(h), 'slept'), 'utf8')
          .split('\n')
          .filter(Boolean).length
      : 0,
  );
  const pass =
    resumed.status === 0 &&
    !runningRecordedDone &&
    counts.join() === '1,1,1' &&
    slept[0] === 1 &&
    slept[2] === 1 &&
    /f1 \| resumed: mark done/.test(resumed.stdout) &&
    ['f1', 'f2', 'f3'].every((h) => existsSync(join(hostDir(h), 'done')));
  record({
    fault: 'controller killed (SIGKILL) mid-rollout, then --resume',
    expected: 'continues where it stopped; no completed task repeated; the task that was running is not recorded as done',
    observed: `killed during f2's slow step (journal has it done: ${runningRecordedDone}); resume exit ${resumed.status}; count runs per host ${counts.join('/')}; slow step runs ${slept.join('/')} (f2's interrupted run may repeat)`,
    pass,
  });
  assert.ok(pass, killedAt + '\n---\n' + resumed.stdout + resumed.stderr);
});

test('Ctrl-C: running work finishes, no new task starts, the resume command is printed; a second Ctrl-C exits at once', async () => {
  const inv = inventory(
    'int',
    servers.slice(3, 5).map((s) => ({ name: s.name, address: s.address, vars: { sleepSec: '2' } })),
  );
  const once = spawn('node', ['bin/run.js', SLOW, inv, '--plain'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  once.stdout.on('data', (d) => (out += d));
  once.stderr.on('data', (d) => (err += d));
  for (let i = 0; i < 200 && !/f4 \| changed: count runs/.test(out); i++) await sleep(50);
  once.kill('SIGINT');
  const code = await new Promise<number | null>((r) => once.once('exit', (c) => r(c)));
  const f4slept = existsSync(join(root, 'hosts', 'int', 'f4', 'slept'));
  const f5touched = existsSync(join(root, 'hosts', 'int', 'f5', 'count'));
  const pass1 =
    code === 130 &&
    f4slept &&
    !f5touched &&
    /ROLLOUT STOPPED: interrupted \(Ctrl-C\)/.test(out) &&
    /--resume/.test(out) &&
    /Ctrl-C: letting running tasks finish/.test(err);
  record({
    fault: 'Ctrl-C (SIGINT) once during a run',
    expected: 'no new task starts; running remote work finishes; journal written; says how to resume; exit 130',
    observed: `exit ${code}; the running slow step finished: ${f4slept}; next host started: ${f5touched}; resume hint printed: ${/--resume/.test(out)}`,
    pass: pass1,
  });
  const twice = spawn('node', ['bin/run.js', SLOW, inv, '--plain'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out2 = '';
  twice.stdout.on('data', (d) => (out2 += d));
  for (let i = 0; i < 200 && !/changed: count runs/.test(out2); i++) await sleep(50);
  const t0 = Date.now();
  twice.kill('SIGINT');
  await sleep(100);
  twice.kill('SIGINT');
  const code2 = await new Promise<number | null>((r) => twice.once('exit', (c) => r(c)));
  const pass2 = code2 === 130;
  record({
    fault: 'Ctrl-C twice',
    expected: 'exits at once, saying remote commands may still run',
    observed: `exit ${code2} ${Date.now() - t0} ms after the first Ctrl-C`,
    pass: pass2,
  });
  assert.ok(pass1 && pass2, out + err);
});

test('hostile input: bad YAML, invalid serial, a --limit that matches nothing: clear errors, nothing runs', () => {
  const bad = join(root, 'bad.yml');
  writeFileSync(bad, 'all:\n  hosts:\n    a: { address: 1.2.3.4\n');
  const inv = inventory('ok', [{ name: servers[0]!.name, address: servers[0]!.address }]);
  const cases: [string, string[], RegExp][] = [
    ['malformed YAML inventory', [SLOW, bad], /bad\.yml: invalid YAML at line \d+/],
    ['invalid serial', [SLOW, inv, '--serial', '0%'], /invalid serial entry 1: "0%"/],
    ['--limit matching nothing', [SLOW, inv, '--limit', 'nosuch'], /--limit "nosuch" matches no host/],
    ['unknown playbook option', ['rollback', inv, '--too', 'x'], /unknown option --too \(playbook rollback declares: --to, --yes\)/],
  ];
  for (const [name, args, re] of cases) {
    const r = spawnSync('node', ['bin/run.js', ...args, '--plain'], { env, encoding: 'utf8' });
    const pass = r.status === 1 && re.test(r.stderr) && !/PLAY \[/.test(r.stdout);
    record({
      fault: `hostile input: ${name}`,
      expected: 'a clear error before anything runs (exit 1)',
      observed: `exit ${r.status}: ${r.stderr.trim().split('\n')[0]}`,
      pass,
    });
    assert.ok(pass, `${name}: ${r.stderr}`);
  }
});

test('hostile input: a TypeScript playbook with a type error, an unknown module parameter: refused before any host is contacted', () => {
  const inv = inventory('typed', [{ name: servers[0]!.name, address: servers[0]!.address }]);
  // Each fixture's first task leaves this mark: proof that a host was reached and something ran.
  const mark = join(root, 'hosts', 'typed', servers[0]!.name, 'ran');
  const cases: [string, string, RegExp][] = [
    [
      'a TypeScript playbook with a type error',
      'type-error.ts',
      /^tests\/fixtures\/typecheck-broken\/type-error\.ts:10:13: error TS2322: Type 'string\[\]' is not assignable to type 'string'\.$/m,
    ],
    [
      'unknown module parameter',
      'unknown-param.ts',
      /^tests\/fixtures\/typecheck-broken\/unknown-param\.ts:9:26: error TS2353: .*'bogus' does not exist in type/m,
    ],
    [
      'unknown module parameter in a per-host function',
      'unknown-param-per-host.ts',
      /^tests\/fixtures\/typecheck-broken\/unknown-param-per-host\.ts:10:60: error TS2353: .*'mod' does not exist in type 'CopyParams'/m,
    ],
  ];
  for (const [name, file, re] of cases) {
    const pb = `tests/fixtures/typecheck-broken/${file}`;
    const r = spawnSync('node', ['bin/run.js', pb, inv, '--plain'], { env, encoding: 'utf8' });
    const ran = existsSync(mark);
    const pass =
      r.status === 1 &&
      re.test(r.stderr) &&
      /nothing was run/.test(r.stderr) &&
      /--no-type-check/.test(r.stderr) &&
      r.stdout === '' &&
      !ran;
    // The control: the same playbook without the check reaches the host, so the mark would have shown a run.
    const unchecked = spawnSync('node', ['bin/run.js', pb, inv, '--plain', '--no-type-check'], { env, encoding: 'utf8' });
    const reached = existsSync(mark);
    rmSync(mark, { force: true });
    record({
      fault: `hostile input: ${name}`,
      expected: 'exit 1 before any host is contacted, the error as file:line:col: error TSnnnn; nothing runs',
      observed: `exit ${r.status}: ${r.stderr.trim().split('\n')[0]}; stdout empty: ${r.stdout === ''}; a task ran: ${ran}. With --no-type-check the same playbook reaches the host (exit ${unchecked.status}, a task ran: ${reached})`,
      pass: pass && reached,
    });
    assert.ok(
      pass && reached,
      `${name}: exit ${r.status}\n${r.stderr}${r.stdout}\n--- with --no-type-check: exit ${unchecked.status}, ran: ${reached}\n${unchecked.stdout}`,
    );
  }
});

test('hostile input: host vars with $(…), quotes and newlines reach the host literally, never executed', async () => {
  const text = `$(touch ${root}/pwned) \`touch ${root}/pwned2\` 'single' "double" ; rm -rf / \nsecond line\\n`;
  const name = `it's $(id) "x"`;
  const inv = inventory('hostile', [{ name: servers[0]!.name, address: servers[0]!.address, vars: { text, name } }]);
  const lines: string[] = [];
  const r = await runPlaybook({
    playbook: 'tests/fixtures/faults/hostile.ts',
    inventory: inv,
    logsDir,
    view: 'plain',
    write: (l) => lines.push(l),
  });
  const file = join(root, 'hosts', 'hostile', servers[0]!.name, name);
  const pass =
    r.exitCode === 0 &&
    !existsSync(join(root, 'pwned')) &&
    !existsSync(join(root, 'pwned2')) &&
    existsSync(file) &&
    readFileSync(file, 'utf8') === text;
  record({
    fault: 'hostile input: host vars with $(…), backticks, quotes, newlines used in commands and paths',
    expected: 'the value reaches the host literally, never executed',
    observed: `exit ${r.exitCode}; file with the literal name written: ${existsSync(file)}; content identical: ${existsSync(file) && readFileSync(file, 'utf8') === text}; injected commands ran: ${existsSync(join(root, 'pwned')) || existsSync(join(root, 'pwned2'))}`,
    pass,
  });
  assert.ok(pass, lines.join('\n'));
});

test.run();
