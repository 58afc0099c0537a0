// bin/run.js starts the CLI from a cached esbuild bundle (bin/bundle.js) instead of loading ~100
// TypeScript modules through tsx's hooks: the real CLI, run as a user runs it, must see the
// playbook as it is now (an edit rebuilds the bundle) and print what the tsx path prints.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve('.');
const dir = mkdtempSync(join(tmpdir(), 'ucw-bundle-'));
const pb = join(dir, 'probe.ts');
const cache = join(root, 'node_modules', '.cache', 'ucw-run');
// As in a user's own project: tsx takes a .ts file outside an ESM package for CommonJS.
writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');

const write = (task: string) =>
  writeFileSync(
    pb,
    `import { playbook } from '${root}/runner/index.ts';\nimport { command } from '${root}/modules/index.ts';\n` +
      `export default playbook({ name: 'bundle-probe' }, [command({ cmd: 'true' }, { name: '${task}', tags: ['t'] })]);\n`,
  );
const cli = (env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, ['bin/run.js', '--list-tasks', '--no-type-check', pb], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { code: r.status, out: r.stdout + r.stderr };
};
const bundlesFor = () =>
  readdirSync(cache)
    .filter((f) => f.endsWith('.bundle.json'))
    .map((f) => JSON.parse(readFileSync(join(cache, f), 'utf8')) as { dir: string; map: Record<string, string> })
    .filter((m) => pb in m.map);

test.after(() => {
  for (const m of existsSync(cache) ? bundlesFor() : []) rmSync(m.dir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

test('the CLI runs from a bundle that holds the playbook named on the command line', () => {
  write('first name');
  const r = cli();
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /first name/);
  const b = bundlesFor();
  assert.is(b.length, 1, 'one bundle holds the probe playbook');
  assert.ok(existsSync(new URL(b[0]!.map[pb]!)), 'its module is in the cache');
});

test('an edited playbook is seen at once (the bundle is rebuilt)', () => {
  write('second name');
  const r = cli();
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /second name/);
  assert.not.match(r.out, /first name/);
});

test('the bundle and the tsx path print the same', () => {
  const a = cli();
  const b = cli({ UCW_NO_BUNDLE: '1' });
  assert.is(a.out, b.out);
});

test.run();
