// --json events against docs/events.schema.json: a real run (local hosts, a failing and a
// changing task, a pending step) validates line by line; the checker itself rejects bad events.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlaybook } from '../../runner/cli/run.ts';
import { checkEvents, validate } from '../support/jsonSchema.ts';

const schema = JSON.parse(readFileSync('docs/events.schema.json', 'utf8')) as Record<string, unknown>;

test('the schema is versioned and every event of a real run validates', async () => {
  assert.is(schema.$id, 'ucw-runner/events/1');
  const dir = mkdtempSync(join(tmpdir(), 'ucw-events-'));
  try {
    const inv = join(dir, 'inv.yml');
    writeFileSync(
      inv,
      `all:\n  hosts:\n    a: { connection: local, dir: ${dir} }\n    b: { connection: local, dir: ${dir}/missing/deeper }\n`,
    );
    const json = join(dir, 'events.jsonl');
    const r = await runPlaybook({
      playbook: 'tests/fixtures/playbooks/guided.ts',
      inventory: inv,
      logsDir: join(dir, 'logs'),
      view: 'silent',
      json,
    });
    assert.is(r.exitCode, 2);
    const { types, errors } = checkEvents(json);
    assert.equal(errors, []);
    for (const t of ['run:start', 'task:start', 'task:output', 'cmd:start', 'cmd:done', 'task:done', 'host:done', 'run:done'])
      assert.ok(types.has(t), t);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the checker rejects what the schema forbids', () => {
  const ok = { v: 1, time: '2026-12-01T00:00:00Z', type: 'warn', message: 'x' };
  assert.equal(validate(ok, schema), []);
  assert.ok(validate({ ...ok, v: 2 }, schema).length);
  assert.ok(validate({ ...ok, extra: 1 }, schema).some((e) => /unexpected "extra"/.test(e)));
  assert.ok(validate({ ...ok, type: 'nope' }, schema).some((e) => /must match a schema in anyOf|tag "type" must be/.test(e)));
  const bad = validate({ v: 1, time: 'yesterday', type: 'task:progress', host: 'h', task: 't', percent: 140, label: 'x' }, schema);
  assert.ok(
    bad.some((e) => /^\/percent: must be <= 100/.test(e)),
    bad.join('\n'),
  );
  assert.ok(
    bad.some((e) => /^\/time: must match format "date-time"/.test(e)),
    bad.join('\n'),
  );
});

test.run();
