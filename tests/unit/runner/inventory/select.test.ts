import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { selectHosts, tagsSelect, serialBatches, exceedsMaxFail, parseSerial } from '../../../../runner/inventory/select.ts';
import { buildInventory } from '../../../../runner/inventory/load.ts';

const inv = buildInventory('inv.ts', {
  groups: {
    berlin: { hosts: ['ber1', 'ber2'] },
    hamburg: { hosts: ['ham1'] },
    db: { hosts: ['ber2', 'ham1'] },
    north: { children: ['hamburg'] },
  },
  hosts: {
    ber1: { tags: ['berlin', 'vm'] },
    ber2: { tags: ['berlin', 'metal'] },
    ham1: { tags: ['hamburg', 'vm'] },
    lab1: {},
  },
});
const sel = (p?: string) => selectHosts(inv.hosts, inv.groups, p).map((h) => h.name);

const limits: [string | undefined, string[]][] = [
  [undefined, ['ber1', 'ber2', 'ham1', 'lab1']],
  ['all', ['ber1', 'ber2', 'ham1', 'lab1']],
  ['ber1', ['ber1']],
  ['ber*', ['ber1', 'ber2']],
  ['berlin', ['ber1', 'ber2']],
  ['north', ['ham1']],
  ['berlin,lab1', ['ber1', 'ber2', 'lab1']],
  ['berlin:lab1', ['ber1', 'ber2', 'lab1']],
  ['berlin,&db', ['ber2']],
  ['berlin,!ber2', ['ber1']],
  ['!db', ['ber1', 'lab1']],
  ['&tag:vm', ['ber1', 'ham1']],
  ['&db', ['ber2', 'ham1']],
  ['tag:vm', ['ber1', 'ham1']],
  ['tag:berlin,&tag:metal', ['ber2']],
  ['all,!tag:vm', ['ber2', 'lab1']],
  ['~^(ber|ham)1$', ['ber1', 'ham1']],
];
for (const [p, want] of limits) test(`--limit ${p}`, () => assert.equal(sel(p), want));

test('--limit matching nothing is an error naming the pattern', () => {
  assert.throws(() => sel('nosuch*'), /--limit "nosuch\*" matches no host/);
  assert.throws(() => sel('~('), /invalid regular expression/);
});

const tagCases: [string[], { tags?: string[]; skipTags?: string[] }, boolean][] = [
  [[], {}, true],
  [['never'], {}, false],
  [['never', 'debug'], { tags: ['debug'] }, true],
  [['always'], { tags: ['mysql'] }, true],
  [['always'], { skipTags: ['always'] }, false],
  [['always'], { skipTags: ['all'] }, true],
  [['mysql'], { tags: ['mysql'] }, true],
  [['ubuntu'], { tags: ['mysql'] }, false],
  [['mysql'], { skipTags: ['mysql'] }, false],
  [[], { tags: ['tagged'] }, false],
  [['x'], { tags: ['tagged'] }, true],
  [[], { tags: ['untagged'] }, true],
  [['x'], { skipTags: ['tagged'] }, false],
  [['x', 'y'], { tags: ['y'], skipTags: ['x'] }, false],
];
for (const [tags, f, want] of tagCases)
  test(`tags ${JSON.stringify(tags)} with ${JSON.stringify(f)} → ${want}`, () => assert.is(tagsSelect(tags, f), want));

const ten = Array.from({ length: 10 }, (_, i) => i);
const sizes = (s: Parameters<typeof serialBatches>[1]) => serialBatches(ten, s).map((b) => b.length);
test('serial: number, percentage (floor, min 1), ramp list with last repeating', () => {
  assert.equal(sizes(undefined), [10]);
  assert.equal(sizes(1), [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  assert.equal(sizes(3), [3, 3, 3, 1]);
  assert.equal(sizes('25%'), [2, 2, 2, 2, 2]);
  assert.equal(sizes('5%'), Array(10).fill(1));
  assert.equal(sizes([1, 3, '50%']), [1, 3, 5, 1]);
  assert.equal(sizes([1, '100%']), [1, 9]);
});
test('serial: invalid values are errors', () => {
  assert.throws(() => sizes(0), /invalid serial/);
  assert.throws(() => sizes('abc' as never), /invalid serial/);
  assert.throws(() => sizes('0%'), /invalid serial/);
  assert.throws(() => sizes([]), /empty/);
  assert.throws(() => parseSerial('1,x'), /invalid serial entry 2/);
  assert.equal(parseSerial('1,5,50%'), [1, 5, '50%']);
  assert.is(parseSerial('2'), 2);
});
test('maxFailPercentage aborts only when strictly greater', () => {
  assert.is(exceedsMaxFail(1, 4, 25), false);
  assert.is(exceedsMaxFail(2, 4, 25), true);
  assert.is(exceedsMaxFail(1, 1, 0), true);
  assert.is(exceedsMaxFail(0, 1, 0), false);
  assert.is(exceedsMaxFail(5, 5, undefined), false);
});

test.run();
