// reboot / waitForSsh: pure parts — backoff, endpoints, the reboot decision.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { endpointOf } from '../../modules/lib/system.ts';
import { backoffMs } from '../../runner/module.ts';
import { plan as rebootPlan, reboot } from '../../modules/reboot.ts';
import { plan as waitPlan, waitForSsh } from '../../modules/waitForSsh.ts';

test('backoff: doubles from 1 s, capped at 12 s, plus under 1 s of jitter', () => {
  const zero = () => 0;
  assert.equal([0, 1, 2, 3, 4, 5, 30].map((n) => backoffMs(n, { rand: zero })), [1000, 2000, 4000, 8000, 12000, 12000, 12000]);
  assert.is(backoffMs(0, { rand: () => 0.999 }), 1999);
  assert.is(backoffMs(2, { baseMs: 250, capMs: 2000, rand: zero }), 1000);
});

test('endpoints', () => {
  assert.equal(endpointOf('10.0.0.5:22'), { host: '10.0.0.5', port: 22 });
  assert.equal(endpointOf('[fe80::1]:2222'), { host: 'fe80::1', port: 2222 });
  assert.equal(endpointOf('localhost'), { host: 'localhost', port: 22 });
});

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

test('waitForSsh plan and params', () => {
  assert.match(waitPlan({ bootIdNot: 'x' }).reason, /wait up to 600 s for SSH and a boot id other than x/);
  assert.throws(() => waitForSsh({ timeoutSec: 0 }), /must be > 0/);
  assert.is(waitForSsh.def.checkMode, 'none');
});

test.run();
