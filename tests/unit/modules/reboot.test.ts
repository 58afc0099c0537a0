// reboot: the decision.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { plan as rebootPlan, reboot } from '../../../modules/reboot.ts';

const f = (o = {}) => ({ bootId: 'b1', required: false, requiredBy: [], connection: 'ssh' as const, ...o });
test('reboot plan: local refused; onlyIfRequired decides; the reason names the packages', () => {
  assert.throws(() => rebootPlan({}, f({ connection: 'local' })), /refusing to reboot through a local connection/);
  assert.is(rebootPlan({ onlyIfRequired: true }, f()).changed, false);
  const p = rebootPlan({ onlyIfRequired: true }, f({ required: true, requiredBy: ['linux-image-6.1', 'ucware-core'] }));
  assert.is(p.changed, true);
  assert.is(p.reason, 'reboot required by linux-image-6.1, ucware-core; boot id now b1');
  assert.is(rebootPlan({}, f()).reason, 'reboot; boot id now b1');
  assert.throws(() => reboot({ upTimeoutSec: -1 }), /must be a number ≥ 0/);
});

test.run();
