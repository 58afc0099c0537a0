// The public API is written down in API.md; this keeps the page and the package.json `exports`
// entries in step: an export that disappears (a user's import would break) or appears without
// being documented fails here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, documentedNames, entryPoints, exportedNames } from './exports.ts';

const documented = documentedNames(readFileSync(join(ROOT, 'API.md'), 'utf8'));
const entries = entryPoints();
const actual = exportedNames(entries);

test('every exports entry has a section in API.md, and every section an entry', () => {
  assert.equal(Object.keys(documented).sort(), Object.keys(entries).sort());
});

for (const spec of Object.keys(entries)) {
  test(`${spec}: every documented name is still exported`, () => {
    const gone = (documented[spec] ?? []).filter((n) => !actual[spec]!.includes(n));
    assert.equal(gone, [], `${spec} no longer exports ${gone.join(', ')} (public API, see API.md)`);
  });
  test(`${spec}: every exported name is documented`, () => {
    const extra = actual[spec]!.filter((n) => !(documented[spec] ?? []).includes(n));
    assert.equal(extra, [], `${spec} exports ${extra.join(', ')} without a line in API.md`);
  });
}

test('the documented names parse from API.md', () => {
  assert.equal(documentedNames('## `a`\n\n- `x` — y\n- `b`\n## Other\n- `z`\n'), { a: ['b', 'x'] });
});

test('the runner package ships what the exports name, and stays unpublishable', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    private: boolean;
    files: string[];
    exports: Record<string, string>;
  };
  assert.is(pkg.private, true);
  // package.json ships always, whatever "files" says.
  for (const target of Object.values(pkg.exports).filter((t) => t !== './package.json')) {
    assert.ok(
      pkg.files.some((f) => target.slice(2).startsWith(f) || target.slice(2) === f),
      `${target} is not in "files"`,
    );
  }
});

test.run();
