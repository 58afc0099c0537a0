// Progress in the views: the bar, the rollout estimate, the plain view's carriage returns and throttle; prompt answers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RunEvents } from '../../../../runner/output/events.ts';
import { attachPlain } from '../../../../runner/output/plain.ts';
import { progressLine, rolloutTitle } from '../../../../runner/output/listr.ts';
import { pickChoice } from '../../../../runner/cli/prompt.ts';

test('progressLine: a bar of 24, the percentage, the label', () => {
  assert.is(progressLine({ percent: 50, label: 'Unpacking x' }), `[${'█'.repeat(12)}${'░'.repeat(12)}]  50% Unpacking x`);
  assert.is(progressLine({ percent: 100, label: 'done' }), `[${'█'.repeat(24)}] 100% done`);
});

const ROLLOUT = [
  { r: { total: 3, done: 0, took: [], batchSize: 1 }, want: 'rollout: 0/3 hosts done' },
  { r: { total: 3, done: 1, took: [40_000], batchSize: 1 }, want: 'rollout: 1/3 hosts done · about 80 s left' },
  { r: { total: 10, done: 2, took: [600_000, 600_000], batchSize: 4 }, want: 'rollout: 2/10 hosts done · about 20 min left' },
  { r: { total: 2, done: 2, took: [1, 1], batchSize: 1 }, want: 'rollout: 2/2 hosts done' },
];
for (const c of ROLLOUT) test(`rolloutTitle: ${c.want}`, () => assert.is(rolloutTitle(c.r), c.want));

test('plain: carriage-return progress collapses to its last state; progress at most every few seconds per host', () => {
  const events = new RunEvents();
  const out: string[] = [];
  attachPlain(events, { write: (l) => out.push(l.slice(9)), diff: false, verbose: true, progressEveryMs: 60_000 });
  events.emit({
    type: 'task:output',
    host: 'a',
    task: 't',
    stream: 'stdout',
    line: '(Reading database ... 5%\r(Reading database ... 10%\r(Reading database ... 100%\r',
  });
  for (const percent of [10, 20, 30]) events.emit({ type: 'task:progress', host: 'a', task: 't', percent, label: `p${percent}` });
  events.emit({ type: 'task:progress', host: 'b', task: 't', percent: 20, label: 'b20' });
  events.emit({ type: 'task:progress', host: 'a', task: 't', percent: 100, label: 'p100' });
  assert.equal(out, ['a |   (Reading database ... 100%', 'a |   10% p10', 'b |   20% b20', 'a |   100% p100']);
});

const CHOICES = [
  { name: 'yes', message: 'yes, done on a' },
  { name: 'all', message: 'yes, done on all 2 waiting' },
  { name: 'no', message: 'no: fail' },
];
for (const [typed, want] of [
  ['', 'yes'],
  ['2', 'all'],
  ['no', 'no'],
  ['a', 'all'],
  ['x', undefined],
  ['9', undefined],
] as const) {
  test(`pickChoice: "${typed}" → ${want}`, () => assert.is(pickChoice(typed, CHOICES), want));
}

test.run();
