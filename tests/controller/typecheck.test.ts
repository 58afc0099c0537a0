// The real compiler behind `run`'s type check (seconds cold, so not in tests/unit): type errors
// and unknown module parameters, literal and per-host, named by file:line; the cache.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { formatDiagnostic, typeCheck } from '../../runner/cli/typecheck.ts';

const dir = mkdtempSync(join(tmpdir(), 'ucw-tc-'));
const cacheFile = join(dir, 'cache', 'typecheck.json');
const root = resolve('.');
const broken = (name: string) => resolve('tests/fixtures/typecheck-broken', name);
// No package.json with "type": "module" above these files: tsx loads them as modules anyway, and so does the check.
const write = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
const lines = async (file: string) => (await typeCheck([file], { cacheFile })).diagnostics.map((d) => formatDiagnostic(d, root));

test('a type error in a playbook: file:line:col and the TS code', async () => {
  const out = await lines(broken('type-error.ts'));
  assert.equal(out, [
    "tests/fixtures/typecheck-broken/type-error.ts:10:13: error TS2322: Type 'string[]' is not assignable to type 'string'.",
  ]);
});

test('an unknown module parameter, literal: tsc reports it', async () => {
  const out = await lines(broken('unknown-param.ts'));
  assert.is(out.length, 1);
  assert.match(
    out[0]!,
    /^tests\/fixtures\/typecheck-broken\/unknown-param\.ts:9:26: error TS2353: .*'bogus' does not exist in type 'ParamsOf<CommandParams>'/,
  );
});

test('unknown module parameters returned by per-host functions: the runner reports them, valid ones pass', async () => {
  const out = await lines(broken('unknown-param-per-host.ts'));
  assert.is(out.length, 1);
  assert.match(
    out[0]!,
    /^tests\/fixtures\/typecheck-broken\/unknown-param-per-host\.ts:10:60: error TS2353: .*'mod' does not exist in type 'CopyParams'/,
  );

  const pb = write(
    'per-host.ts',
    `import { playbook } from '${root}/runner/index.ts';
import { command, copy, file } from '${root}/modules/index.ts';
const base = { cmd: 'true', extra: 1 };
export default playbook({ name: 'per-host' }, [
  command((h) => { if (h.name) return { cmd: 'a', bogusA: 1 }; return { cmd: 'b' }; }),
  command((h) => (h.name ? { cmd: 'a' } : { cmd: 'b', bogusB: 1 })),
  copy(function (h) { return { path: '/x', content: h.name, mode: '0644', bogusC: true }; }),
  file((h) => ({ path: '/x/' + h.name, kind: 'directory' })),
  command((h) => ({ ...base, cmd: h.name })),
  command((h) => ({ argv: [h.name].map((n) => ({ n })).map((o) => o.n), okExitCodes: [0, 1] })),
]);
`,
  );
  const found = (await typeCheck([pb], { cacheFile })).diagnostics.map(
    (d) => `${d.line}:${d.message.split('\n')[0]!.replace(/.*'(\w+)' does not exist.*/, '$1')}`,
  );
  assert.equal(found, ['5:bogusA', '6:bogusB', '7:bogusC']);
});

test('cache: a success is remembered, a changed imported file invalidates it', async () => {
  write('helper.ts', "export const where = '/etc/motd';\n");
  const pb = write(
    'cached.ts',
    `import { playbook } from '${root}/runner/index.ts';
import { copy } from '${root}/modules/index.ts';
import { where } from './helper.ts';
export default playbook({ name: 'cached' }, [copy({ path: where, content: 'hi' })]);
`,
  );
  const first = await typeCheck([pb], { cacheFile });
  const second = await typeCheck([pb], { cacheFile });
  assert.equal([first.ok, first.cached, second.ok, second.cached], [true, false, true, true]);
  assert.ok(second.durationMs < 200, `cache hit took ${second.durationMs} ms`);
  write('helper.ts', 'export const where = 42;\n');
  const third = await typeCheck([pb], { cacheFile });
  assert.equal([third.ok, third.cached], [false, false]);
  assert.match(
    formatDiagnostic(third.diagnostics[0]!, dir),
    /^cached\.ts:4:\d+: error TS2322: Type 'number' is not assignable to type 'string'/,
  );
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
