// waitForSsh: plan and params.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { plan as waitPlan, waitForSsh } from '../../../modules/waitForSsh.ts';

test('waitForSsh plan and params', () => {
  assert.match(waitPlan({ bootIdNot: 'x' }).reason, /wait up to 600 s for SSH and a boot id other than x/);
  assert.throws(() => waitForSsh({ timeoutSec: 0 }), /must be > 0/);
  assert.is(waitForSsh.def.checkMode, 'none');
});

test.run();
