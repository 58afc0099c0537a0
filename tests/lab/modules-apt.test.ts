// aptSources, packageFacts, assertVersion on real lab hosts: in-place edit with an exact diff
// and the file's mode kept, idempotent second runs, version checks. Leaves hosts as found.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { labOrSkip, run, sshOk } from '../fixtures/modules/labRun.ts';
import { aptSources, packageFacts, assertVersion } from '../../modules/index.ts';

const lab = labOrSkip();
const H = 'lab1';
// a list of our own with UCware's two lines, so the test does not depend on what other tests did to ucware.list
const LIST = '/etc/apt/sources.list.d/ucw-modtest.list';
const SEED = (lab: { repoUrl: string }) =>
  `# UCware (test copy)\ndeb [trusted=yes] ${lab.repoUrl}/ucware-4.5 bionic main\ndeb [trusted=yes] ${lab.repoUrl}/ucware-firmware bionic main\n`;

test('aptSources edits ucware.list in place: exact diff, mode and owner kept, second run no change', async () => {
  if (!lab) return;
  sshOk(lab, H, `cat > ${LIST}; chmod 0640 ${LIST}`, SEED(lab));
  const before = sshOk(lab, H, `cat ${LIST}`);
  try {
    const edit = aptSources({ file: LIST, replace: { field: 'uri', from: 'ucware-4.5', to: 'ucware-5' } }, { name: 'to v5' });
    const r1 = await run(lab, H, [edit], { diff: true });
    assert.is(r1.exitCode, 0, r1.out);
    const d = r1.done[0]!;
    assert.is(d.status, 'changed');
    const after = sshOk(lab, H, `cat ${LIST}`);
    assert.is(after, before.replace('/ucware-4.5 ', '/ucware-5 '));
    assert.ok(after.includes('ucware-firmware bionic main'), 'firmware line untouched');
    assert.equal(d.diff, [{ path: LIST, before, after }]);
    assert.ok(r1.out.includes(`-deb [trusted=yes] ${lab.repoUrl}/ucware-4.5 bionic main`), r1.out);
    assert.ok(r1.out.includes(`+deb [trusted=yes] ${lab.repoUrl}/ucware-5 bionic main`), r1.out);
    assert.is(sshOk(lab, H, `stat -c %a:%U ${LIST}`).trim(), '640:root', 'mode kept');
    const r2 = await run(lab, H, [edit]);
    assert.is(r2.done[0]!.status, 'ok');
    assert.is(r2.recap[H]!.changed, 0);
    // --check on the way back changes nothing
    const back = aptSources({ file: LIST, replace: { field: 'uri', from: 'ucware-5', to: 'ucware-4.5' } }, { name: 'back' });
    const r3 = await run(lab, H, [back], { check: true });
    assert.is(r3.done[0]!.status, 'changed');
    assert.is(sshOk(lab, H, `cat ${LIST}`), after, 'check mode wrote nothing');
    const r4 = await run(lab, H, [back]);
    assert.is(r4.done[0]!.status, 'changed');
    assert.is(sshOk(lab, H, `cat ${LIST}`), before);
  } finally {
    sshOk(lab, H, `rm -f ${LIST}`);
  }
});

test('aptSources adds a line then removes it; a typo fails naming what is there', async () => {
  if (!lab) return;
  const file = '/etc/apt/sources.list.d/ucw-test.list';
  const line = `deb [trusted=yes] ${lab.repoUrl}/ucware-firmware bionic contrib`;
  try {
    const r1 = await run(lab, H, [aptSources({ file, line }), aptSources({ file, line })]);
    assert.equal(
      r1.done.map((d) => d.status),
      ['changed', 'ok'],
    );
    assert.is(sshOk(lab, H, `cat ${file}; stat -c %a ${file}`), `${line}\n644\n`);
    const r2 = await run(lab, H, [aptSources({ line, present: false }), aptSources({ line, present: false })]);
    assert.equal(
      r2.done.map((d) => d.status),
      ['changed', 'ok'],
    );
    assert.is(sshOk(lab, H, `cat ${file}`), '');
    sshOk(lab, H, `cat > ${LIST}`, SEED(lab));
    const r3 = await run(lab, H, [aptSources({ file: LIST, replace: { field: 'uri', from: 'ucware-4.6', to: 'ucware-5' } })]);
    assert.is(r3.exitCode, 2);
    assert.match(
      r3.out,
      /no uri "ucware-4\.6" \(nor "ucware-5"\) in \/etc\/apt\/sources\.list\.d\/ucw-modtest\.list; entries there: .*ucware-4\.5 bionic/,
    );
  } finally {
    sshOk(lab, H, `rm -f ${file} ${LIST}`);
  }
});

test('aptSources deb822: a stanza apt accepts (update runs once, on the change), edited in place, removed', async () => {
  if (!lab) return;
  const file = '/etc/apt/sources.list.d/ucw-modtest.sources';
  // 'extra' makes it a new entry (main alone is already in ucware.list); apt only warns about the missing component
  const entry = {
    uris: [`${lab.repoUrl}/ucware-firmware`],
    suites: ['bionic'],
    components: ['main', 'extra'],
    options: { Trusted: 'yes' },
  };
  try {
    const r1 = await run(lab, H, [aptSources({ file, entry, update: true }), aptSources({ file, entry, update: true })]);
    assert.is(r1.exitCode, 0, r1.out);
    assert.equal(
      r1.done.map((d) => d.status),
      ['changed', 'ok'],
    );
    assert.match(r1.done[0]!.reason, /create \/etc\/apt\/sources\.list\.d\/ucw-modtest\.sources, then apt-get update/);
    assert.is(
      sshOk(lab, H, `cat ${file}`),
      `Types: deb\nURIs: ${lab.repoUrl}/ucware-firmware\nSuites: bionic\nComponents: main extra\nTrusted: yes\n`,
    );
    const r2 = await run(lab, H, [aptSources({ file, replace: { field: 'component', from: 'extra', to: 'contrib' } })]);
    assert.is(r2.done[0]!.status, 'changed');
    assert.match(sshOk(lab, H, `cat ${file}`), /^Components: main contrib$/m);
    const r3 = await run(lab, H, [aptSources({ entry: { ...entry, components: ['contrib', 'main'] }, present: false })]);
    assert.is(r3.done[0]!.status, 'changed');
    assert.is(sshOk(lab, H, `cat ${file}`), '');
  } finally {
    sshOk(lab, H, `rm -f ${file}`);
  }
});

test('packageFacts and assertVersion read dpkg; a failed assertion names the version', async () => {
  if (!lab) return;
  const v = sshOk(lab, H, "dpkg-query -W -f='${Version}' ucware-core").trim();
  const r = await run(lab, H, [
    packageFacts({ names: ['ucware', 'ucware-core', 'nope'] }, { id: 'pkgs' }),
    assertVersion({ packages: ['ucware', 'ucware-core'], atLeast: '4.5', below: '99' }),
    assertVersion({ packages: 'ucware-core', atLeast: `${v}.1` }),
  ]);
  assert.is(r.exitCode, 2);
  assert.equal(
    r.done.map((d) => d.status),
    ['ok', 'ok', 'failed'],
  );
  assert.match(r.done[0]!.reason, new RegExp(`ucware [\\d.]+, ucware-core ${v.replace(/\./g, '\\.')}, nope not installed`));
  assert.ok(r.out.includes(`assertVersion: ucware-core ${v} < ${v}.1`), r.out);
  assert.is(r.recap[H]!.changed, 0);
});

test.run();
