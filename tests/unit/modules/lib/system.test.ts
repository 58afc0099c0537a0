// waiting helpers: backoff and endpoints.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { endpointOf } from '../../../../modules/lib/system.ts';
import { backoffMs } from '../../../../runner/module.ts';

test('backoff: doubles from 1 s, capped at 12 s, plus under 1 s of jitter', () => {
  const zero = () => 0;
  assert.equal(
    [0, 1, 2, 3, 4, 5, 30].map((n) => backoffMs(n, { rand: zero })),
    [1000, 2000, 4000, 8000, 12000, 12000, 12000],
  );
  assert.is(backoffMs(0, { rand: () => 0.999 }), 1999);
  assert.is(backoffMs(2, { baseMs: 250, capMs: 2000, rand: zero }), 1000);
});

test('endpoints', () => {
  assert.equal(endpointOf('10.0.0.5:22'), { host: '10.0.0.5', port: 22 });
  assert.equal(endpointOf('[fe80::1]:2222'), { host: 'fe80::1', port: 2222 });
  assert.equal(endpointOf('localhost'), { host: 'localhost', port: 22 });
});

test.run();
