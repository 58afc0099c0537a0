// Every module's plan case table (tests/unit/modules/**/<file>.cases.ts): found by walking the
// folder, run case by case; a module found by `run doc`'s walk of modules/ without a table fails.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { moduleFiles } from '../../../runner/cli/doc.ts';
import { file } from '../../../modules/file.ts';
import { CAPTURED, cases, type CaseTable, type PlanCase } from '../../support/planCases.ts';

const here = import.meta.dirname;
const files = readdirSync(here, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.cases.ts'))
  .sort();
const tables: { file: string; table: CaseTable }[] = [];
for (const file of files) tables.push({ file, table: ((await import(join(here, file))) as { default: CaseTable }).default });

for (const { file, table } of tables) {
  for (const c of table.cases) test(`${table.module}: ${c.name}`, () => table.run(c));
  test(`${file}: names are unique`, () => {
    const names = table.cases.map((c) => c.name);
    assert.equal(
      names.filter((n, i) => names.indexOf(n) !== i),
      [],
    );
  });
}

test('every module has a case table of at least two cases', () => {
  const missing = moduleFiles()
    .map((m) => m.name)
    .filter((n) => !tables.some((t) => t.table.module === n));
  assert.equal(missing, [], 'modules without tests/unit/modules/<file>.cases.ts');
  for (const { file, table } of tables) assert.ok(table.cases.length >= 2, `${file}: at least two cases`);
});

test('every captured file is read by a case table or a test (no stale fixtures)', () => {
  const unit = join(here, '..');
  const sources = readdirSync(unit, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(join(unit, f), 'utf8'))
    .join('\n');
  const captured = readdirSync(CAPTURED, { recursive: true, encoding: 'utf8' }).filter((f) => /\.(txt|xml)$/.test(f));
  assert.equal(
    captured.filter((f) => !sources.includes(f.split('/').at(-1)!)),
    [],
  );
});

test('the runner catches a wrong reason, a wrong step, an unused or a missing replay entry', async () => {
  const stat = { run: "stat -c '%F|%a|%U|%G|%s' -- /etc/ucware", out: 'bookworm/stat-etc-ucware.txt' };
  const base: PlanCase<{ path: string; kind: 'directory'; mode: string }> = {
    name: 'x',
    params: { path: '/etc/ucware', kind: 'directory', mode: '0750' },
    replay: [stat],
    expect: { reason: 'mode 755 → 0750', steps: [{ kind: 'exec', cmd: 'chmod 0750 -- /etc/ucware' }] },
  };
  const t = cases(file, []);
  await t.run(base as PlanCase<unknown>);
  const wrong: [Partial<typeof base>, RegExp][] = [
    [{ expect: { reason: 'mode 755 → 0700', steps: [{ kind: 'exec', cmd: 'chmod 0750 -- /etc/ucware' }] } }, /reason/],
    [{ expect: { reason: 'mode 755 → 0750', steps: [{ kind: 'exec', cmd: 'chmod 0700 -- /etc/ucware' }] } }, /steps\[0\]\.cmd/],
    [{ expect: { noop: /./ } }, /expected a no-op/],
    [{ replay: [stat, { run: 'never', stdout: '' }] }, /never asked for/],
    [{ replay: [] }, /a command the case does not answer/],
  ];
  for (const [over, re] of wrong) {
    const err = await t.run({ ...base, ...over } as PlanCase<unknown>).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(err, `passed, but should fail with ${re}`);
    assert.match(err.message, re);
  }
});

test.run();
