import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatRecap, exitCodeOf, emptyCounts } from '../../../../runner/output/recap.ts';

test('recap columns match Ansible', () => {
  const out = formatRecap({ lab1: { ...emptyCounts(), ok: 5, changed: 2 }, lab2: { ...emptyCounts(), unreachable: 1 } });
  const lines = out.split('\n');
  assert.match(lines[0]!, /^PLAY RECAP \*+/);
  assert.is(lines[1], 'lab1                       : ok=5    changed=2    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0');
  assert.match(lines[2]!, /^lab2 {23}: ok=0 {4}changed=0 {4}unreachable=1/);
});

test('exit codes: 0, 2 failed, 4 unreachable, 6 both, 2 when stopped', () => {
  const c = emptyCounts;
  assert.is(exitCodeOf({ a: c() }, false), 0);
  assert.is(exitCodeOf({ a: { ...c(), failed: 1 } }, false), 2);
  assert.is(exitCodeOf({ a: { ...c(), unreachable: 1 } }, false), 4);
  assert.is(exitCodeOf({ a: { ...c(), failed: 1 }, b: { ...c(), unreachable: 1 } }, false), 6);
  assert.is(exitCodeOf({ a: c() }, true), 2);
});

test.run();
