// pause: the plan shows the step; params.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { plan as pausePlan, pause } from '../../../modules/pause.ts';

test('pause: the plan shows the step; params', () => {
  const p = pausePlan({ title: 'Licence', instructions: ['a', 'b'] });
  assert.is(p.changed, true);
  assert.is(p.reason, 'manual step: Licence — a / b');
  assert.throws(() => pause({ title: ' ', instructions: 'x' }), /title/);
  assert.throws(() => pause({ title: 't', instructions: [] }), /instructions/);
});

test.run();
