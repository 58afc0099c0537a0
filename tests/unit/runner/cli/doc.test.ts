// run doc: the reference is read from the module sources' TSDoc.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { moduleDoc, moduleFiles, formatDoc, printDoc } from '../../../../runner/cli/doc.ts';

test('every module file is found, and every module has a summary, an example and documented params', async () => {
  const mine = ['aptSources', 'aptUpgrade', 'debconfKeep', 'mysqlExec', 'httpCheck', 'waitForSsh', 'reboot', 'pause', 'fetchFile', 'packageFacts', 'assertVersion'];
  const mods = moduleFiles();
  for (const n of mine) assert.ok(mods.some((m) => m.name === n), n);
  for (const m of mods.filter((x) => mine.includes(x.name))) {
    const d = await moduleDoc(m.file, m.name);
    assert.ok(d.summary.length > 10, `${m.name}: summary`);
    assert.ok(d.examples.length > 0, `${m.name}: @example`);
    for (const p of d.params) assert.ok(p.description || ['url'].includes(p.name), `${m.name}.${p.name}: description`);
  }
});

test('aptSources: params with types, defaults and nested fields; check mode; examples', async () => {
  const d = await moduleDoc(moduleFiles().find((m) => m.name === 'aptSources')!.file, 'aptSources');
  const update = d.params.find((p) => p.name === 'update')!;
  assert.equal({ type: update.type, optional: update.optional, default: update.default }, { type: 'boolean', optional: true, default: 'false' });
  assert.equal(d.params.find((p) => p.name === 'replace')!.fields!.map((f) => f.name), ['field', 'from', 'to', 'uriContains']);
  assert.is(d.checkMode, 'full');
  const text = formatDoc(d).join('\n');
  assert.match(text, /present\?: boolean   \[default: true\]/);
  assert.match(text, /Examples:\n  \/\/ UCware 4\.5 → 5/);
});

test('waitForSsh says it is skipped under --check; unknown module is a usage error', async () => {
  const lines: string[] = [];
  await printDoc('waitForSsh', (l) => lines.push(l));
  assert.match(lines.join('\n'), /Check mode: not supported/);
  try {
    await printDoc('nope', () => {});
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /no module "nope"; modules: .*aptSources/);
  }
});
test.run();
