// fetchFile: checksums decide.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { plan as fetchPlan, fetchFile } from '../../../modules/fetchFile.ts';

const remote = { sha256: 'a'.repeat(64), size: 10 };
test('fetchFile: same checksum → no-op; different → fetch; missing → fail or no-op', () => {
  assert.is(fetchPlan({ src: '/x', dest: 'd' }, { dest: '/d', remote, localSha256: 'a'.repeat(64) }).changed, false);
  assert.match(
    fetchPlan({ src: '/x', dest: 'd' }, { dest: '/d', remote, localSha256: 'b'.repeat(64) }).reason,
    /fetch \/x → \/d \(10 bytes, replacing a different copy\)/,
  );
  assert.throws(() => fetchPlan({ src: '/x', dest: 'd' }, { dest: '/d', remote: null, localSha256: null }), /does not exist on the host/);
  assert.is(fetchPlan({ src: '/x', dest: 'd', failIfMissing: false }, { dest: '/d', remote: null, localSha256: null }).changed, false);
  assert.throws(() => fetchFile({ src: 'rel', dest: 'd' }), /absolute/);
});

test.run();
