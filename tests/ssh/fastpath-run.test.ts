// The channel strategy through a whole run: the inventory's per-host `channel`, `--channel`
// over it, what `run:start` (JSON events) and the per-host log report, and the same results
// both ways.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeLoopbackInventory, makeClientKey, startSshd, portBase, type TestSshd } from '../support/sshd.ts';
import { runPlaybook, type RunOptions } from '../../runner/cli/run.ts';
import { loadInventory } from '../../runner/inventory/load.ts';
import { InventoryError } from '../../runner/model/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'ucw-fprun-'));
const port = portBase() + 8;
const key = makeClientKey();
let s: TestSshd;
const inventory = join(root, 'inv.yml');
const hostDir = (h: string) => join(root, 'hosts', h);

test.before(async () => {
  s = await startSshd({ name: 'fprun', address: '127.0.0.83', port, client: key });
  writeLoopbackInventory(inventory, {
    key,
    knownHosts: join(root, 'known_hosts'),
    hosts: [
      `p: { address: 127.0.0.83, port: ${port}, dir: ${hostDir('p')}, channel: persistent }`,
      `e: { address: 127.0.0.83, port: ${port}, dir: ${hostDir('e')}, channel: exec }`,
    ],
  });
});

test.after(async () => {
  await s?.stop();
  rmSync(root, { recursive: true, force: true });
});

async function run(extra: Partial<RunOptions> = {}) {
  rmSync(join(root, 'hosts'), { recursive: true, force: true });
  for (const h of ['p', 'e']) mkdirSync(hostDir(h), { recursive: true });
  const json = join(root, `events-${Date.now()}.jsonl`);
  const lines: string[] = [];
  const res = await runPlaybook({
    playbook: 'tests/fixtures/playbooks/steps.ts',
    inventory,
    logsDir: join(root, 'logs'),
    view: 'plain',
    write: (l) => lines.push(l),
    json,
    ...extra,
  });
  const events = readFileSync(json, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  return { ...res, events, out: lines.join('\n') };
}

test("per-host channel from the inventory: run:start and each host's log say which; results are the same", async () => {
  const r = await run();
  assert.is(r.exitCode, 0, r.out);
  const start = r.events.find((e: { type: string }) => e.type === 'run:start');
  assert.is(start.strategy, 'mixed (p: persistent, e: exec)');
  assert.match(readFileSync(join(r.logDir, 'p.log'), 'utf8'), /channel strategy mixed \(p: persistent, e: exec\)/);
  assert.equal(r.recap.p, r.recap.e);
  for (const h of ['p', 'e']) assert.is(readFileSync(join(hostDir(h), 'work/hello'), 'utf8'), `hello from ${h}\n`);
});

test('--channel wins over the inventory, for every host', async () => {
  for (const channel of ['exec', 'persistent'] as const) {
    const r = await run({ channel });
    assert.is(r.exitCode, 0, r.out);
    assert.is(r.events.find((e: { type: string }) => e.type === 'run:start').strategy, channel);
  }
});

test('the inventory rejects an unknown channel', async () => {
  const bad = join(root, 'bad.yml');
  writeFileSync(bad, `all:\n  hosts:\n    x: { channel: pipelined }\n`);
  try {
    await loadInventory(bad);
    assert.unreachable('accepted');
  } catch (e) {
    assert.instance(e, InventoryError);
    assert.match((e as Error).message, /persistent' or 'exec'/);
  }
});

test.run();
