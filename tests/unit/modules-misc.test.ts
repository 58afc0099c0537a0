// pause and fetchFile: pure plans and params.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { plan as pausePlan, pause } from '../../modules/pause.ts';
import { plan as fetchPlan, fetchFile } from '../../modules/fetchFile.ts';

test('pause: the plan shows the step; params', () => {
  const p = pausePlan({ title: 'Licence', instructions: ['a', 'b'] });
  assert.is(p.changed, true);
  assert.is(p.reason, 'manual step: Licence — a / b');
  assert.throws(() => pause({ title: ' ', instructions: 'x' }), /title/);
  assert.throws(() => pause({ title: 't', instructions: [] }), /instructions/);
});

const remote = { sha256: 'a'.repeat(64), size: 10 };
test('fetchFile: same checksum → no-op; different → fetch; missing → fail or no-op', () => {
  assert.is(fetchPlan({ src: '/x', dest: 'd' }, { dest: '/d', remote, localSha256: 'a'.repeat(64) }).changed, false);
  assert.match(fetchPlan({ src: '/x', dest: 'd' }, { dest: '/d', remote, localSha256: 'b'.repeat(64) }).reason, /fetch \/x → \/d \(10 bytes, replacing a different copy\)/);
  assert.throws(() => fetchPlan({ src: '/x', dest: 'd' }, { dest: '/d', remote: null, localSha256: null }), /does not exist on the host/);
  assert.is(fetchPlan({ src: '/x', dest: 'd', failIfMissing: false }, { dest: '/d', remote: null, localSha256: null }).changed, false);
  assert.throws(() => fetchFile({ src: 'rel', dest: 'd' }), /absolute/);
});
test.run();
