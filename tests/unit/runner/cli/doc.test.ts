// run doc: the reference is read from the module sources' TSDoc.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { moduleDoc, moduleFiles, formatDoc, printDoc } from '../../../../runner/cli/doc.ts';
import * as all from '../../../../modules/index.ts';

// Params still without a description; document them and delete them here (new modules start clean).
const UNDOCUMENTED = new Set([
  'copy.path',
  'copy.content',
  'copy.owner',
  'copy.group',
  'file.path',
  'file.kind',
  'file.owner',
  'file.group',
  'fail.msg',
  'snapshot.description',
  'ucwareFaxGroups.api',
  'ucwareFaxGroups.faxGroups',
  'ucwareMerge.api',
  'ucwareMerge.merges',
  'ucwarePreflight.listFile',
  'ucwarePreflight.snapshot',
  'ucwareReport.before',
  'ucwareReport.after',
  'ucwareReport.conffiles',
  'ucwareReport.backupDir',
  'ucwareReport.snapshots',
  'ucwareReport.rollbackCommand',
  'ucwareReport.pending',
]);

test('walking modules/ finds every module (ucware/ included), each with a summary, an example and documented params', async () => {
  const mods = moduleFiles();
  const exported = Object.values(all).filter((v): v is { def: { name: string } } & typeof v => typeof v === 'function' && 'def' in v);
  for (const m of exported)
    assert.ok(
      mods.some((x) => x.name === m.def.name),
      `${m.def.name} (modules/index.ts) not found by the walk`,
    );
  assert.ok(
    mods.some((m) => m.file.includes('/modules/ucware/')),
    'modules/ucware/* found',
  );
  assert.is(new Set(mods.map((m) => m.name)).size, mods.length, 'module names are unique');
  for (const m of mods) {
    const d = await moduleDoc(m.file, m.name);
    assert.ok(d.summary.length > 10, `${m.name}: summary`);
    assert.ok(d.examples.length > 0, `${m.name}: @example`);
    for (const p of d.params) assert.ok(p.description || UNDOCUMENTED.has(`${m.name}.${p.name}`), `${m.name}.${p.name}: description`);
  }
  const stale = [...UNDOCUMENTED].filter((k) => !mods.some((m) => k.startsWith(`${m.name}.`)));
  assert.equal(stale, [], 'allowlist entries of modules that no longer exist');
});

test('aptSources: params with types, defaults and nested fields; check mode; examples', async () => {
  const d = await moduleDoc(moduleFiles().find((m) => m.name === 'aptSources')!.file, 'aptSources');
  const update = d.params.find((p) => p.name === 'update')!;
  assert.equal(
    { type: update.type, optional: update.optional, default: update.default },
    { type: 'boolean', optional: true, default: 'false' },
  );
  assert.equal(
    d.params.find((p) => p.name === 'replace')!.fields!.map((f) => f.name),
    ['field', 'from', 'to', 'uriContains'],
  );
  assert.is(d.checkMode, 'full');
  const text = formatDoc(d).join('\n');
  assert.match(text, /present\?: boolean   \[default: true\]/);
  assert.match(text, /Examples:\n  \/\/ UCware 4\.5 → 5/);
});

test('params of an extended interface are listed first (lineInFile extends EditedFileParams)', async () => {
  const d = await moduleDoc(moduleFiles().find((m) => m.name === 'lineInFile')!.file, 'lineInFile');
  const names = d.params.map((p) => p.name);
  assert.equal(names.slice(0, 3), ['path', 'create', 'mode']);
  assert.ok(names.includes('line') && names.includes('backrefs'), names.join(' '));
  assert.is(d.params.find((p) => p.name === 'path')!.optional, false);
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
