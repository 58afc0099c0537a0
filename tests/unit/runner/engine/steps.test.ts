// The default apply through a real host run on the controller's own shell: steps in order,
// atomic uploads, what a step reports, a failure that keeps its output, and waiting on a lock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHost } from '../../../../runner/engine/host.ts';
import { LocalConnection } from '../../../../runner/connection/local.ts';
import { RunEvents, type RunEvent } from '../../../../runner/output/events.ts';
import { playbook } from '../../../../runner/model/dsl.ts';
import { defineModule, change, exec, upload, sh, type Step, type Task, type TaskOptions } from '../../../../runner/module.ts';
import { aptRun } from '../../../../modules/lib/aptRun.ts';
import type { Host } from '../../../../runner/inventory/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'ucw-steps-'));
const steps = defineModule<{ steps: Step[] }>({ name: 'steps', plan: (p) => change('do the steps', { steps: p.steps }) });
const host = {
  name: 'here',
  address: 'localhost',
  user: 'me',
  connection: 'local',
  tags: [],
  groups: ['all'],
  vars: {},
} as unknown as Host;

async function run(tasks: Task<unknown>[]) {
  const events = new RunEvents();
  const seen: RunEvent[] = [];
  events.on((e) => seen.push(e));
  const out = await runHost({
    host,
    conn: new LocalConnection('here'),
    playbook: playbook({ name: 't' }, tasks),
    events,
    check: false,
    tags: {},
    shouldStop: () => false,
    onFailure: () => {},
  });
  const done = seen.filter((e): e is Extract<RunEvent, { type: 'task:done' }> => e.type === 'task:done');
  const lines = seen.flatMap((e) => (e.type === 'task:output' ? [e.line] : []));
  return { out, done, lines };
}
const task = (s: Step[], o: TaskOptions = {}) => steps({ steps: s }, o) as Task<unknown>;

test('exec and upload steps run in order; the upload is whole, with its mode', async () => {
  const f = join(dir, 'a.conf');
  const r = await run([task([exec(sh`printf old > ${f}`), upload(f, 'new\n', { mode: '0600' }), exec(sh`grep -qx new ${f}`)])]);
  assert.is(r.done[0]!.status, 'changed', r.done[0]!.error);
  assert.is(readFileSync(f, 'utf8'), 'new\n');
  assert.is(statSync(f).mode & 0o777, 0o600);
});

test('report: the result and the reason come from the command output', async () => {
  const report = (x: { stdout: string }) => ({ result: x.stdout.trim().split(' '), reason: 'counted' });
  const t = task([exec('echo a b c', { report })]);
  const r = await run([
    t,
    steps({ steps: [] }, { name: 'reads it', when: (h) => (h.result(t)?.result as string[]).length === 3 }) as Task<unknown>,
  ]);
  assert.is(r.done[0]!.reason, 'counted');
  assert.is(r.done[1]!.status, 'changed', 'the later task saw the result');
});

test('keepOnFailure: a bad exit code fails the task, the output stays readable', async () => {
  const report = (x: { stdout: string; exitCode: number | null }) => ({ result: { out: x.stdout.trim(), code: x.exitCode } });
  const t = task([exec('echo partial; exit 3', { report, keepOnFailure: true })], { ignoreErrors: true });
  const later = steps(
    { steps: [] },
    { name: 'sees exit 3', when: (h) => (h.result(t)?.result as { code: number }).code === 3 },
  ) as Task<unknown>;
  const r = await run([t, later]);
  assert.is(r.done[0]!.status, 'ignored');
  assert.match(r.done[0]!.error!, /steps failed on here .*exit code 3/);
  assert.is(r.done[1]!.status, 'changed');
});

const lockMsg = 'E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)';

test('lockWait: still locked when the wait is over → the failure says by whom and how long', async () => {
  const r = await run([task([aptRun(`echo 'dpkg: error: disk full' ; echo ${sh`${lockMsg}`} >&2; exit 100`, 0)])]);
  assert.is(r.done[0]!.status, 'failed');
  assert.match(r.done[0]!.error!, /\/var\/lib\/dpkg\/lock-frontend still locked by process 4242 \(apt-get\) after 0 s of waiting/);
  assert.match(r.done[0]!.error!, /dpkg: error: disk full/);
});

test('lockWait: a failure that is not a lock fails at once', async () => {
  const started = Date.now();
  const r = await run([task([aptRun('echo "E: Unable to locate package nope" >&2; exit 100', 60_000)])]);
  assert.is(r.done[0]!.status, 'failed');
  assert.match(r.done[0]!.error!, /Unable to locate package nope/);
  assert.ok(Date.now() - started < 30_000, 'did not wait for the lock');
});

test('lockWait: a lock released while waiting → the command runs again and passes', async () => {
  const n = join(dir, 'tries');
  const cmd = sh`echo x >> ${n}; if [ "$(wc -l < ${n})" -lt 2 ]; then echo ${lockMsg} >&2; exit 100; fi`;
  const r = await run([task([aptRun(cmd, 60_000)])]);
  assert.is(r.done[0]!.status, 'changed', r.done[0]!.error);
  assert.is(readFileSync(n, 'utf8'), 'x\nx\n');
  assert.ok(
    r.lines.some((l) => /lock-frontend is locked held by process 4242 \(apt-get\).*; trying again in \d+ s/.test(l)),
    r.lines.join('\n'),
  );
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
