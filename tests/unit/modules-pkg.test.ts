// packageFacts, assertVersion, debconfKeep: pure decision tables.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDpkgQuery } from '../../modules/facts/apt.ts';
import { plan as factsPlan } from '../../modules/packageFacts.ts';
import { plan as versionPlan, assertVersion } from '../../modules/assertVersion.ts';
import { plan as keepPlan, parseSums, APT_DROP_IN, APT_DROP_IN_TEXT, NEEDRESTART_DROP_IN_TEXT, debconfKeep } from '../../modules/debconfKeep.ts';

const pkgs = parseDpkgQuery('ucware\t4.5.0.9\tii \nucware-core\t4.5.0.10\tii \nhalf\t1.0\tiU \n');

test('packageFacts: a no-op with versions and the missing names', () => {
  const p = factsPlan({ names: ['ucware', 'nope'] }, pkgs);
  assert.is(p.changed, false);
  assert.is(p.result!.packages.ucware!.version, '4.5.0.9');
  assert.equal(p.result!.missing, ['nope']);
  assert.is(p.reason, 'ucware 4.5.0.9, nope not installed');
});

const versionCases = [
  { p: { packages: 'ucware', atLeast: '4.5.0.10' }, fail: /ucware 4\.5\.0\.9 < 4\.5\.0\.10/ },
  { p: { packages: 'ucware-core', atLeast: '4.5.0.10', below: '5' }, ok: /ucware-core 4\.5\.0\.10 ok/ },
  { p: { packages: ['ucware', 'ucware-core'], below: '5' }, ok: /ucware 4\.5\.0\.9, ucware-core 4\.5\.0\.10 ok/ },
  { p: { packages: 'ucware', equals: '4.5.0.09' }, ok: /ok/ },
  { p: { packages: 'ucware-core', below: '4.5.0.10' }, fail: /not below 4\.5\.0\.10/ },
  { p: { packages: 'absentpkg', atLeast: '1' }, fail: /absentpkg is not installed/ },
  { p: { packages: 'half', atLeast: '1' }, fail: /half is not installed \(dpkg status "iU", version 1\.0\)/ },
  { p: { packages: 'absentpkg', absent: true }, ok: /absentpkg absent ok/ },
  { p: { packages: 'ucware', absent: true }, fail: /installed, wanted absent/ },
];
for (const c of versionCases) {
  test(`assertVersion: ${JSON.stringify(c.p)}`, () => {
    if (c.fail) assert.throws(() => versionPlan(c.p, pkgs), c.fail);
    else {
      const p = versionPlan(c.p, pkgs);
      assert.is(p.changed, false);
      assert.match(p.reason, c.ok!);
    }
  });
}
test('assertVersion: bad params fail before any host', () => {
  assert.throws(() => assertVersion({ packages: 'x' }), /give atLeast/);
  assert.throws(() => assertVersion({ packages: 'x', atLeast: '5', below: '4.5' }), /nothing can pass/);
  assert.throws(() => assertVersion({ packages: 'x', atLeast: 'a:1' }), /epoch/);
});

const H1 = 'a'.repeat(64);
const H2 = 'b'.repeat(64);
const F = '/etc/ucware/ucware.php';
const before = (over: Partial<Parameters<typeof keepPlan>[1]> = {}) => ({
  checksums: { [F]: H1 }, record: null, aptDropIn: null, needrestart: { installed: true, dropIn: null }, ...over,
});

test('debconfKeep: first run writes drop-ins and the record; second run is a no-op', () => {
  const p = keepPlan({ files: [F] }, before());
  assert.is(p.changed, true);
  assert.equal(p.steps.filter((s) => s.kind === 'upload').map((s) => (s as { path: string }).path), [APT_DROP_IN, '/etc/needrestart/conf.d/90-ucw-runner.conf', '/var/lib/ucw-runner/debconfKeep.sha256']);
  const rec = (p.steps.at(-1) as { content: string }).content;
  assert.is(rec, `${H1}  ${F}\n`);
  const again = keepPlan({ files: [F] }, before({ record: rec, aptDropIn: APT_DROP_IN_TEXT, needrestart: { installed: true, dropIn: NEEDRESTART_DROP_IN_TEXT } }));
  assert.is(again.changed, false);
  assert.is(keepPlan({ files: [F] }, before({ record: rec, aptDropIn: APT_DROP_IN_TEXT, needrestart: { installed: false, dropIn: null } })).changed, false, 'no needrestart, no drop-in');
});

test('debconfKeep verify: kept file, leftover reported with a diff', () => {
  const p = keepPlan({ files: [F], verify: true }, before({ record: `${H1}  ${F}\n`, contents: { [F]: 'local\nx\n', [F + '.dpkg-dist']: 'shipped\nx\n' } }));
  assert.is(p.changed, false);
  assert.equal(p.result!.kept, [F]);
  assert.equal(p.result!.leftovers, [{ path: F + '.dpkg-dist', of: F, suffix: '.dpkg-dist', differingLines: 2 }]);
  assert.equal(p.diff, [{ path: F + '.dpkg-dist', before: 'local\nx\n', after: 'shipped\nx\n' }]);
  assert.match(p.reason, /1 kept; package version left as \/etc\/ucware\/ucware\.php\.dpkg-dist \(2 lines differ\)/);
});

test('debconfKeep verify: a changed or unrecorded file fails (unless failOnChange: false)', () => {
  assert.throws(() => keepPlan({ files: [F], verify: true }, before({ checksums: { [F]: H2 }, record: `${H1}  ${F}\n`, contents: {} })), /CHANGED: \/etc\/ucware\/ucware\.php \(aaaaaaaaaaaa… → bbbbbbbbbbbb…\)/);
  assert.throws(() => keepPlan({ files: [F], verify: true }, before({ contents: {} })), /no record for/);
  assert.equal(keepPlan({ files: [F], verify: true, failOnChange: false }, before({ checksums: { [F]: H2 }, record: `${H1}  ${F}\n`, contents: {} })).result!.changed, [F]);
});

test('debconfKeep: sums parser and params', () => {
  assert.equal(parseSums(`${H1}  /a b\nmissing  /c\n`), { '/a b': H1, '/c': null });
  assert.throws(() => debconfKeep({ verify: true }), /needs "files"/);
  assert.throws(() => debconfKeep({ files: ['rel'] }), /absolute/);
});

test.run();
