// debconfKeep: drop-ins, the checksum record, verify.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  plan as keepPlan,
  parseSums,
  APT_DROP_IN,
  APT_DROP_IN_TEXT,
  NEEDRESTART_DROP_IN_TEXT,
  debconfKeep,
} from '../../../modules/debconfKeep.ts';

const H1 = 'a'.repeat(64);
const H2 = 'b'.repeat(64);
const F = '/etc/ucware/ucware.php';
const before = (over: Partial<Parameters<typeof keepPlan>[1]> = {}) => ({
  checksums: { [F]: H1 },
  record: null,
  aptDropIn: null,
  needrestart: { installed: true, dropIn: null },
  ...over,
});

test('debconfKeep: first run writes drop-ins and the record; second run is a no-op', () => {
  const p = keepPlan({ files: [F] }, before());
  assert.is(p.changed, true);
  assert.equal(
    p.steps.filter((s) => s.kind === 'upload').map((s) => (s as { path: string }).path),
    [APT_DROP_IN, '/etc/needrestart/conf.d/90-ucw-runner.conf', '/var/lib/ucw-runner/debconfKeep.sha256'],
  );
  const rec = (p.steps.at(-1) as { content: string }).content;
  assert.is(rec, `${H1}  ${F}\n`);
  const again = keepPlan(
    { files: [F] },
    before({ record: rec, aptDropIn: APT_DROP_IN_TEXT, needrestart: { installed: true, dropIn: NEEDRESTART_DROP_IN_TEXT } }),
  );
  assert.is(again.changed, false);
  assert.is(
    keepPlan({ files: [F] }, before({ record: rec, aptDropIn: APT_DROP_IN_TEXT, needrestart: { installed: false, dropIn: null } })).changed,
    false,
    'no needrestart, no drop-in',
  );
});

test('debconfKeep verify: kept file, leftover reported with a diff', () => {
  const p = keepPlan(
    { files: [F], verify: true },
    before({ record: `${H1}  ${F}\n`, contents: { [F]: 'local\nx\n', [F + '.dpkg-dist']: 'shipped\nx\n' } }),
  );
  assert.is(p.changed, false);
  assert.equal(p.result!.kept, [F]);
  assert.equal(p.result!.leftovers, [{ path: F + '.dpkg-dist', of: F, suffix: '.dpkg-dist', differingLines: 2 }]);
  assert.equal(p.diff, [{ path: F + '.dpkg-dist', before: 'local\nx\n', after: 'shipped\nx\n' }]);
  assert.match(p.reason, /1 kept; package version left as \/etc\/ucware\/ucware\.php\.dpkg-dist \(2 lines differ\)/);
});

test('debconfKeep verify: a changed or unrecorded file fails (unless failOnChange: false)', () => {
  assert.throws(
    () => keepPlan({ files: [F], verify: true }, before({ checksums: { [F]: H2 }, record: `${H1}  ${F}\n`, contents: {} })),
    /CHANGED: \/etc\/ucware\/ucware\.php \(aaaaaaaaaaaa… → bbbbbbbbbbbb…\)/,
  );
  assert.throws(() => keepPlan({ files: [F], verify: true }, before({ contents: {} })), /no record for/);
  assert.equal(
    keepPlan({ files: [F], verify: true, failOnChange: false }, before({ checksums: { [F]: H2 }, record: `${H1}  ${F}\n`, contents: {} }))
      .result!.changed,
    [F],
  );
});

test('debconfKeep: sums parser and params', () => {
  assert.equal(parseSums(`${H1}  /a b\nmissing  /c\n`), { '/a b': H1, '/c': null });
  assert.throws(() => debconfKeep({ verify: true }), /needs "files"/);
  assert.throws(() => debconfKeep({ files: ['rel'] }), /absolute/);
});

test.run();
