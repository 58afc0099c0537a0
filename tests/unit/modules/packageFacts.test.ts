// packageFacts: a no-op that reports versions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDpkgQuery } from '../../../modules/facts/apt.ts';
import { plan as factsPlan } from '../../../modules/packageFacts.ts';

const pkgs = parseDpkgQuery('ucware\t4.5.0.9\tii \nucware-core\t4.5.0.10\tii \nhalf\t1.0\tiU \n');

test('packageFacts: a no-op with versions and the missing names', () => {
  const p = factsPlan({ names: ['ucware', 'nope'] }, pkgs);
  assert.is(p.changed, false);
  assert.is(p.result!.packages.ucware!.version, '4.5.0.9');
  assert.equal(p.result!.missing, ['nope']);
  assert.is(p.reason, 'ucware 4.5.0.9, nope not installed');
});

test.run();
