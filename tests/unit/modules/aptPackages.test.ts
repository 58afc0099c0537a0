// aptPackages: params + facts parsed from captured bookworm output → the apt-get line, or why not.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { plan, parseHolds, parseDebFields, type AptPackagesParams, type AptPackagesFacts } from '../../../modules/aptPackages.ts';
import { parseAptSimulation, parseDpkgQuery } from '../../../modules/facts/apt.ts';
import { captured } from './captured.ts';

const R = 'bookworm';
const installed = parseDpkgQuery(captured(R, 'apt/dpkg-query'));
const sim = (name: string, exitOk = true) => {
  const out = captured(R, `apt/${name}`);
  return { moves: parseAptSimulation(out), error: exitOk ? undefined : out.split('\n').filter((l) => l.startsWith('E: ')).join(' ') };
};
const facts = (o: Partial<AptPackagesFacts> = {}): AptPackagesFacts => ({ installed, held: parseHolds(captured(R, 'apt/showhold-none')), debs: [], cacheAgeSec: 120, ...o });
const deb = { path: '/root/ucw-toolbox-test_1.0_all.deb', ...parseDebFields(captured(R, 'apt/dpkg-deb-fields')) };

const cases: { name: string; p: AptPackagesParams; f: AptPackagesFacts; steps?: RegExp[]; noop?: RegExp; reason?: RegExp; throws?: RegExp }[] = [
  { name: 'installed already: no-op, no simulation needed', p: { names: ['ucware-core'] }, f: facts(), noop: /all 1 package\(s\) as wanted/ },
  { name: 'pinned to the installed version', p: { names: ['ucware-core=4.5.0.9'] }, f: facts(), noop: /as wanted/ },
  { name: 'pinned to a newer version: install name=version, no recommends', p: { names: ['ucware-firmware-yealink=1.0.1'] }, f: facts({ simulation: sim('sim-install-pinned') }), steps: [/apt-get .*-y -q install --no-install-recommends ucware-firmware-yealink=1\.0\.1 <\/dev\/null$/], reason: /ucware-firmware-yealink 1\.0\.0 → 1\.0\.1/ },
  { name: 'held package is left alone and named', p: { names: ['ucware-firmware-yealink=1.0.1'] }, f: facts({ held: parseHolds(captured(R, 'apt/showhold')) }), noop: /held, left alone: ucware-firmware-yealink/ },
  { name: 'held package moves with allowChangeHeld', p: { names: ['ucware-firmware-yealink=1.0.1'], allowChangeHeld: true }, f: facts({ held: ['ucware-firmware-yealink'], simulation: sim('sim-install-pinned') }), steps: [/--allow-change-held-packages ucware-firmware-yealink=1\.0\.1/] },
  { name: 'latest: apt upgrades it and its dependant', p: { names: ['ucware-core'], latest: true }, f: facts({ simulation: sim('sim-install-latest') }), steps: [/install --no-install-recommends ucware-core </], reason: /ucware 4\.5\.0\.9 → 4\.5\.0\.10, ucware-core/ },
  { name: 'latest when newest already: no-op from the simulation', p: { names: ['ucware-core'], latest: true }, f: facts({ simulation: sim('sim-install-already') }), noop: /apt would move nothing/ },
  { name: 'unknown package: apt\'s error, no update to help', p: { names: ['nosuchpkg'] }, f: facts({ simulation: sim('sim-install-unknown', false) }), throws: /apt cannot install nosuchpkg: E: Unable to locate package nosuchpkg/ },
  { name: 'unknown package with update: update, then install', p: { names: ['nosuchpkg'], update: true }, f: facts({ simulation: sim('sim-install-unknown', false) }), steps: [/apt-get .* update <\/dev\/null$/, /install --no-install-recommends nosuchpkg/], reason: /apt-get update \(lists 120 s old\), then nosuchpkg/ },
  { name: 'update skipped while the lists are young', p: { names: ['ucware-core'], update: true, cacheValidTimeSec: 3600 }, f: facts(), noop: /as wanted/ },
  { name: 'purge an installed package', p: { names: ['ucware-firmware-yealink'], present: false, purge: true }, f: facts({ simulation: sim('sim-purge') }), steps: [/-y -q purge ucware-firmware-yealink </], reason: /ucware-firmware-yealink 1\.0\.0 → \(removed\)/ },
  { name: 'remove one that is not there', p: { names: ['nosuchpkg'], present: false }, f: facts(), noop: /none of the 1 package\(s\) installed/ },
  { name: 'a .deb not installed yet', p: { debs: [deb.path] }, f: facts({ debs: [deb], simulation: sim('sim-install-deb') }), steps: [/install --no-install-recommends \/root\/ucw-toolbox-test_1\.0_all\.deb/], reason: /ucw-toolbox-test \(new\) → 1\.0/ },
  { name: 'a .deb installed at its version', p: { debs: [deb.path] }, f: facts({ debs: [deb], installed: { ...installed, ...parseDpkgQuery('ucw-toolbox-test\t1.0\tii \n') } }), noop: /as wanted/ },
];

for (const c of cases) {
  test(c.name, () => {
    if (c.throws) {
      assert.throws(() => plan(c.p, c.f), c.throws);
      return;
    }
    const p = plan(c.p, c.f);
    if (c.noop) {
      assert.is(p.changed, false);
      assert.match(p.reason, c.noop);
      assert.equal(p.steps, []);
      return;
    }
    assert.is(p.changed, true, p.reason);
    assert.is(p.steps.length, c.steps!.length);
    c.steps!.forEach((re, i) => assert.match((p.steps[i] as { cmd: string }).cmd, re));
    if (c.reason) assert.match(p.reason, c.reason);
  });
}

test('the diff lists versions before and after', () => {
  const p = plan({ names: ['ucware-firmware-yealink=1.0.1'] }, facts({ simulation: sim('sim-install-pinned') }));
  assert.equal(p.diff, [{ path: '(packages)', before: 'ucware-firmware-yealink 1.0.0\n', after: 'ucware-firmware-yealink 1.0.1\n' }]);
});

test.run();
