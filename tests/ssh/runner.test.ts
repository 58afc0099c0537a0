// The runner core against real OpenSSH servers on loopback: parallel hosts, unreachable and
// failing hosts, --check, --resume, --limit, serial/maxFail, control flow, and the CLI itself.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeLoopbackInventory, makeClientKey, startSshd, portBase, type TestSshd } from '../support/sshd.ts';
import { runPlaybook, type RunOptions } from '../../runner/cli/run.ts';

const root = mkdtempSync(join(tmpdir(), 'ucw-runner-'));
const port = portBase();
const key = makeClientKey();
const servers: TestSshd[] = [];
const hostDir = (h: string) => join(root, 'hosts', h);
const STEPS = 'tests/fixtures/playbooks/steps.ts';
const inventory = join(root, 'inv.yml');
const logsDir = join(root, 'logs');

test.before(async () => {
  for (const [i, name] of ['a', 'b'].entries()) {
    servers.push(await startSshd({ name, address: `127.0.0.${21 + i}`, port, client: key }));
  }
  writeLoopbackInventory(inventory, {
    key,
    knownHosts: join(root, 'known_hosts'),
    hosts: [
      `a: { address: 127.0.0.21, port: ${port}, dir: ${hostDir('a')}, tags: [berlin] }`,
      `b: { address: 127.0.0.22, port: ${port}, dir: ${hostDir('b')}, tags: [hamburg] }`,
      `dead: { address: 127.0.0.29, port: ${port}, dir: ${hostDir('dead')}, tags: [hamburg] }`,
    ],
  });
});

test.after(async () => {
  for (const s of servers) await s.stop();
  rmSync(root, { recursive: true, force: true });
});

const fresh = () => {
  rmSync(join(root, 'hosts'), { recursive: true, force: true });
  for (const h of ['a', 'b', 'dead']) mkdirSync(hostDir(h), { recursive: true });
};

async function run(extra: Partial<RunOptions> = {}) {
  const lines: string[] = [];
  const json = join(root, `events-${Date.now()}.jsonl`);
  const res = await runPlaybook({ playbook: STEPS, inventory, logsDir, view: 'plain', write: (l) => lines.push(l), json, ...extra });
  const events = readFileSync(json, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  return { ...res, out: lines.join('\n'), events };
}

test('hosts run in parallel; an unreachable host does not stop the others (exit 4)', async () => {
  fresh();
  const r = await run();
  assert.is(r.exitCode, 4);
  assert.equal(r.recap.a, { ok: 5, changed: 5, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
  assert.is(r.recap.b!.ok, 5);
  assert.is(r.recap.dead!.unreachable, 1);
  assert.match(r.out, /dead \(127\.0\.0\.29:\d+\) unreachable: connection refused/);
  for (const h of ['a', 'b']) assert.is(readFileSync(join(hostDir(h), 'work/hello'), 'utf8'), `hello from ${h}\n`);
  const types = r.events.map((e: { type: string; host?: string }) => `${e.type}:${e.host ?? ''}`);
  const firstDone = types.findIndex((t: string) => t.startsWith('host:done:a') || t.startsWith('host:done:b'));
  assert.ok(
    types.indexOf('host:start:a') < firstDone && types.indexOf('host:start:b') < firstDone,
    'both hosts started before either finished',
  );
  const log = readFileSync(join(r.logDir, 'a.log'), 'utf8');
  assert.match(log, /\$ echo run >> .*\/work\/count/);
  assert.match(log, /exit 0 in \d+ ms/);
});

test('a failing task stops only its host (exit 2); the error names host, task, command, exit code', async () => {
  fresh();
  writeFileSync(join(hostDir('b'), 'fail'), '');
  const r = await run({ limit: 'a,b' });
  assert.is(r.exitCode, 2);
  assert.is(r.recap.a!.failed, 0);
  assert.ok(existsSync(join(hostDir('a'), 'work/after')));
  assert.is(r.recap.b!.failed, 1);
  assert.not.ok(existsSync(join(hostDir('b'), 'work/after')));
  assert.match(r.out, /command failed on b \(task "fail if asked"\): exit code 1/);
  assert.match(r.out, /\$ test '!' -e .*\/b\/fail/);
  assert.match(r.out, /--resume/);
});

test('--resume skips what completed and finishes the rest', async () => {
  rmSync(join(hostDir('b'), 'fail'));
  const r = await run({ limit: 'a,b', resume: true });
  assert.is(r.exitCode, 0);
  assert.ok(existsSync(join(hostDir('b'), 'work/after')));
  assert.is(readFileSync(join(hostDir('b'), 'work/count'), 'utf8'), 'run\n', 'count ran once: not repeated on resume');
  assert.is(r.recap.a!.skipped, 5, 'a had finished everything');
  assert.is(r.recap.b!.skipped, 3);
  assert.is(r.recap.b!.changed, 2);
  assert.match(r.out, /b \| resumed: count runs — done in an earlier run/);
});

test('--check changes nothing on the host but says what would change', async () => {
  fresh();
  const r = await run({ limit: 'a', check: true, diff: true });
  assert.is(r.exitCode, 0);
  assert.not.ok(existsSync(join(hostDir('a'), 'work')), 'nothing created');
  assert.match(r.out, /CHECK MODE/);
  assert.match(r.out, /a \| changed: work dir — create directory/);
  assert.match(r.out, /a \| skipped: count runs — check mode: command cannot predict its effect/);
  assert.match(r.out, /\+hello from a/);
});

test('--limit tag:berlin picks only the tagged host; --skip-tags drops tasks', async () => {
  fresh();
  const r = await run({ limit: 'tag:berlin', skipTags: ['gate', 'count'] });
  assert.equal(Object.keys(r.recap), ['a']);
  assert.is(r.recap.a!.ok, 3);
  assert.not.ok(existsSync(join(hostDir('b'), 'work')), 'b untouched');
  assert.not.ok(existsSync(join(hostDir('a'), 'work/count')), 'count task skipped by tag');
});

test('serial 1 with maxFailPercentage 0 stops the rollout at the first failed host', async () => {
  fresh();
  writeFileSync(join(hostDir('a'), 'fail'), '');
  const r = await run({ limit: 'a,b', serial: 1, maxFailPercentage: 0 });
  assert.is(r.exitCode, 2);
  assert.is(r.recap.a!.failed, 1);
  assert.equal(r.notStarted, ['b']);
  assert.not.ok(existsSync(join(hostDir('b'), 'work')), 'b untouched');
  assert.match(r.out, /ROLLOUT STOPPED: maxFailPercentage 0% exceeded in batch 1 \(1 of 1 hosts failed\)/);
});

test('preflight: a NO-GO host is left untouched while GO hosts proceed; the table says why', async () => {
  fresh();
  writeFileSync(join(hostDir('a'), 'nogo'), '');
  const r = await run({ playbook: 'tests/fixtures/playbooks/gated.ts', limit: 'a,b' });
  assert.is(r.exitCode, 2);
  assert.not.ok(existsSync(join(hostDir('a'), 'done')), 'NO-GO host untouched');
  assert.ok(existsSync(join(hostDir('b'), 'done')), 'GO host proceeded');
  assert.match(r.out, /PREFLIGHT: 1 GO, 1 NO-GO/);
  assert.match(r.out, /^\S+ +a +NO-GO +task "no nogo file": command failed on a/m);
  assert.is(r.recap.a!.failed, 1);
  assert.is(r.recap.b!.changed, 1);
});

test('preflight with maxFailPercentage 0: one NO-GO host stops the rollout before any change', async () => {
  fresh();
  writeFileSync(join(hostDir('b'), 'nogo'), '');
  const r = await run({ playbook: 'tests/fixtures/playbooks/gated.ts', limit: 'a,b', maxFailPercentage: 0 });
  assert.is(r.exitCode, 2);
  assert.not.ok(existsSync(join(hostDir('a'), 'done')) || existsSync(join(hostDir('b'), 'done')), 'nothing changed anywhere');
  assert.match(
    r.out,
    /ROLLOUT STOPPED: preflight: 1 of 2 hosts are NO-GO \(b\), over maxFailPercentage 0%; nothing was changed on any host/,
  );
  assert.equal(r.notStarted, ['a']);
});

test('control flow: ignoreErrors, rescue/always, when on results, retries/until, handlers once', async () => {
  fresh();
  const r = await run({ playbook: 'tests/fixtures/playbooks/flow.ts', limit: 'a' });
  const d = hostDir('a');
  assert.is(r.exitCode, 0, r.out);
  assert.equal(r.recap.a, { ok: 8, changed: 7, unreachable: 0, failed: 0, skipped: 1, rescued: 1, ignored: 1 });
  assert.ok(existsSync(join(d, 'rescued')) && existsSync(join(d, 'always')) && existsSync(join(d, 'greeted')));
  assert.not.ok(existsSync(join(d, 'never')));
  assert.is(readFileSync(join(d, 'tries'), 'utf8'), 'x\nx\nx\n');
  assert.is(readFileSync(join(d, 'handler'), 'utf8'), 'handled\n', 'handler ran exactly once');
});

test('the CLI: plain output without a TTY, recap, exit code, --list-hosts, --list-tasks, bad input', () => {
  fresh();
  const cli = (...args: string[]) =>
    spawnSync('node', ['bin/run.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const r = cli(STEPS, inventory, '--limit', 'a', '--plain');
  assert.is(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /PLAY \[steps\] on 1 host/);
  assert.match(r.stdout, /^a +: ok=5 +changed=5 +unreachable=0 +failed=0/m);
  const hosts = cli('--list-hosts', inventory, '--limit', 'tag:hamburg');
  assert.is(hosts.status, 0);
  assert.match(hosts.stdout, /^b .*root@127\.0\.0\.22/m);
  assert.match(hosts.stdout, /^dead /m);
  assert.not.match(hosts.stdout, /^a /m);
  const tasks = cli('--list-tasks', STEPS, '--skip-tags', 'gate');
  assert.match(tasks.stdout, /count runs {2}\[count\]/);
  assert.not.match(tasks.stdout, /fail if asked/);
  const bad = cli(STEPS, inventory, '--limit', 'nosuch');
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /error: --limit "nosuch" matches no host/);
  const badSerial = cli(STEPS, inventory, '--serial', '0');
  assert.is(badSerial.status, 1);
  assert.match(badSerial.stderr, /invalid serial/);
});

test.run();
