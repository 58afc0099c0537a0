// The GO/NO-GO table after preflight: what preflight did per GO host (a prefetch) and the bytes in all.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { preflightTable } from '../../../../runner/output/plain.ts';

test('without notes: GO and NO-GO rows only', () => {
  assert.equal(preflightTable(['pbx1'], [{ host: 'pbx2', reason: 'NO-GO: 1 of 12 checks failed' }]), [
    'PREFLIGHT: 1 GO, 1 NO-GO',
    '  pbx1  GO',
    '  pbx2  NO-GO  NO-GO: 1 of 12 checks failed',
  ]);
});

test('with a prefetch: its reason per GO host, the bytes summed over the hosts in the head line', () => {
  const t = preflightTable(['pbx1', 'pbx2'], [], {
    notes: {
      pbx1: 'lists refreshed; prefetched 46 package(s), 43.1 MB, hashes verified',
      pbx2: 'prefetched 3 package(s), 0.1 MB, hashes verified',
    },
    prefetchedBytes: { pbx1: 43_100_000, pbx2: 100_000 },
  });
  assert.equal(t, [
    'PREFLIGHT: 2 GO, 0 NO-GO; prefetched 43.2 MB on 2 host(s)',
    '  pbx1  GO     lists refreshed; prefetched 46 package(s), 43.1 MB, hashes verified',
    '  pbx2  GO     prefetched 3 package(s), 0.1 MB, hashes verified',
  ]);
});

test.run();
