// The type-check cache and the diagnostic format, with a stand-in compiler (the real one, which
// takes seconds, is exercised in tests/controller/typecheck.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDiagnostic, typeCheck, type Compiled, type TypeDiagnostic } from '../../../../runner/cli/typecheck.ts';

const dir = mkdtempSync(join(tmpdir(), 'ucw-tc-unit-'));
const write = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
const pb = write('pb.ts', "import './helper.ts';\n");
const helper = write('helper.ts', 'export const x = 1;\n');
const tsconfig = write('tsconfig.json', '{}');

/** A compiler that reports `errors` and says it read the playbook and its helper. */
function fakeCompiler(errors: TypeDiagnostic[] = []) {
  const calls: string[][] = [];
  const compile = async (entries: string[]): Promise<Compiled> => {
    calls.push(entries);
    const files = [pb, helper, tsconfig];
    // What it "read": the files' text at this moment, as the real compiler reports it.
    const read = Object.fromEntries(
      files.filter((f) => existsSync(f)).map((f) => [f, createHash('sha256').update(readFileSync(f)).digest('hex')]),
    );
    return { diagnostics: errors, files, read };
  };
  return { calls, compile };
}

test('formatDiagnostic: file:line:col relative to cwd, TS code, later lines indented', () => {
  const d: TypeDiagnostic = {
    file: join(dir, 'pb.ts'),
    line: 9,
    col: 26,
    code: 2353,
    message: 'Object literal may only specify known properties.\nmore',
  };
  assert.is(formatDiagnostic(d, dir), 'pb.ts:9:26: error TS2353: Object literal may only specify known properties.\n  more');
  assert.is(formatDiagnostic({ code: 5023, message: "Unknown compiler option 'x'." }), "error TS5023: Unknown compiler option 'x'.");
});

test('a successful check is cached: the second run does not compile', async () => {
  const cacheFile = join(dir, 'hit', 'typecheck.json');
  const c = fakeCompiler();
  const first = await typeCheck([pb], { tsconfig, cacheFile, compile: c.compile });
  const second = await typeCheck([pb], { tsconfig, cacheFile, compile: c.compile });
  assert.equal([first.ok, first.cached, second.ok, second.cached], [true, false, true, true]);
  assert.is(second.files, 3);
  assert.is(c.calls.length, 1);
  assert.equal(c.calls[0], [pb]);
});

test('a changed imported file, or a different entry, compiles again', async () => {
  const cacheFile = join(dir, 'changed', 'typecheck.json');
  const c = fakeCompiler();
  await typeCheck([pb], { tsconfig, cacheFile, compile: c.compile });
  writeFileSync(helper, 'export const x = 2;\n');
  const after = await typeCheck([pb], { tsconfig, cacheFile, compile: c.compile });
  assert.is(after.cached, false);
  assert.is((await typeCheck([pb], { tsconfig, cacheFile, compile: c.compile })).cached, true);
  const other = write('other.ts', '');
  assert.is((await typeCheck([pb, other], { tsconfig, cacheFile, compile: c.compile })).cached, false);
  assert.is(c.calls.length, 3);
});

test('a failed check is not cached; a vanished file or a damaged cache means a new check', async () => {
  const cacheFile = join(dir, 'failed', 'typecheck.json');
  const err: TypeDiagnostic = { file: pb, line: 1, col: 1, code: 2322, message: 'no' };
  const bad = fakeCompiler([err]);
  const r = await typeCheck([pb], { tsconfig, cacheFile, compile: bad.compile });
  assert.equal([r.ok, r.cached, r.diagnostics], [false, false, [err]]);
  await typeCheck([pb], { tsconfig, cacheFile, compile: bad.compile });
  assert.is(bad.calls.length, 2);

  const good = fakeCompiler();
  await typeCheck([pb], { tsconfig, cacheFile, compile: good.compile });
  writeFileSync(cacheFile, '{ not json');
  assert.is((await typeCheck([pb], { tsconfig, cacheFile, compile: good.compile })).cached, false);
  rmSync(helper);
  assert.is((await typeCheck([pb], { tsconfig, cacheFile, compile: good.compile })).cached, false);
  writeFileSync(helper, 'export const x = 1;\n');
});

test('a file saved while the compiler runs: the result is not cached', async () => {
  const cacheFile = join(dir, 'racing', 'typecheck.json');
  const c = fakeCompiler();
  // The compiler has read the files; the helper is saved before it returns.
  const compile = async (entries: string[]) => {
    const r = await c.compile(entries);
    writeFileSync(helper, 'export const x = 3;\n');
    return r;
  };
  assert.is((await typeCheck([pb], { tsconfig, cacheFile, compile })).ok, true);
  assert.is((await typeCheck([pb], { tsconfig, cacheFile, compile: c.compile })).cached, false);
  assert.is((await typeCheck([pb], { tsconfig, cacheFile, compile: c.compile })).cached, true);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
