// aptUpgrade: the plan from the simulation, cache age, repair, params.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { plan, aptUpgrade } from '../../../modules/aptUpgrade.ts';
import { movesDiff } from '../../../modules/facts/apt.ts';
import { parseAptSimulation } from '../../../modules/facts/apt.ts';

const moves = parseAptSimulation(
  'Inst ucware [4.5.0.9] (4.5.0.10 ucware-4.5:bionic [all]) []\nInst ucware-core [4.5.0.9] (4.5.0.10 ucware-4.5:bionic [all])\n',
);
const f = (o = {}) => ({ moves, cacheAgeSec: 7200, audit: '', ...o });

test('moves → changed, reason and a package diff', () => {
  const p = plan({}, f());
  assert.is(p.changed, true);
  assert.is(p.reason, '2 upgraded: ucware 4.5.0.9 → 4.5.0.10, ucware-core 4.5.0.9 → 4.5.0.10');
  assert.equal(p.diff, [
    { path: '(packages)', before: 'ucware 4.5.0.9\nucware-core 4.5.0.9\n', after: 'ucware 4.5.0.10\nucware-core 4.5.0.10\n' },
  ]);
  assert.equal(
    p.result!.moved.map((m) => m.name),
    ['ucware', 'ucware-core'],
  );
});
test('nothing to move, no update → no-op', () => {
  assert.is(plan({}, f({ moves: [] })).changed, false);
  assert.match(
    plan({ update: true, cacheValidTimeSec: 86400 }, f({ moves: [] })).reason,
    /nothing to upgrade \(lists 7200 s old, younger than 86400 s\)/,
  );
});
test('stale or never-updated lists → update planned', () => {
  assert.match(
    plan({ update: true, cacheValidTimeSec: 3600 }, f({ moves: [] })).reason,
    /apt-get update \(lists 7200 s old\); then upgrade what the new lists offer/,
  );
  assert.match(plan({ update: true }, f({ moves: [], cacheAgeSec: null })).reason, /apt-get update \(never updated\)/);
  assert.match(plan({ update: true }, f()).reason, /\(from the lists before the update\)/);
});
test('interrupted dpkg → repair first; refused when repair is off', () => {
  const p = plan({}, f({ moves: [], audit: 'The following packages are only half configured' }));
  assert.match(p.reason, /^repair dpkg \(dpkg --configure -a\): The following packages are only half configured/);
  assert.throws(() => plan({ repair: false }, f({ audit: 'half configured' })), /repair is off/);
});
test('params', () => {
  assert.throws(() => aptUpgrade({ cacheValidTimeSec: 10 }), /needs update: true/);
  assert.throws(() => aptUpgrade({ mode: 'yes' as 'full' }), /full, dist or safe/);
  assert.is(movesDiff([]), undefined);
});
test.run();
