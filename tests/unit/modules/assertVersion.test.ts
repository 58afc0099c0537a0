// assertVersion: pure decision table over dpkg-query facts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDpkgQuery } from '../../../modules/facts/apt.ts';
import { plan as versionPlan, assertVersion } from '../../../modules/assertVersion.ts';

const pkgs = parseDpkgQuery('ucware\t4.5.0.9\tii \nucware-core\t4.5.0.10\tii \nhalf\t1.0\tiU \n');

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

test.run();
