// Debian version ordering: a policy table, and a cross-check against dpkg itself when present.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { compareDebVersions, debVersionSatisfies, parseDebVersion } from '../../../../modules/facts/debVersion.ts';

const table: [string, string, -1 | 0 | 1][] = [
  ['4.5.0.9', '4.5.0.10', -1],
  ['4.5.0.10', '5.0.0', -1],
  ['5.0.0', '4.5.0.10', 1],
  ['1.0', '1.0', 0],
  ['1.0', '1.00', 0],
  ['1.0', '1.0-0', 0],
  ['1.0~rc1', '1.0', -1],
  ['1.0~~', '1.0~', -1],
  ['1.0~', '1.0', -1],
  ['1.0', '1.0a', -1],
  ['1.0a', '1.0+', -1],
  ['1.0+', '1.0.', -1],
  ['1:0.1', '9.9', 1],
  ['0:1.0', '1.0', 0],
  ['2:1.0', '10:0.1', -1],
  ['1.2-3', '1.2-10', -1],
  ['1.2-3ubuntu1', '1.2-3', 1],
  ['1.2-3~bpo1', '1.2-3', -1],
  ['10.11.18-MariaDB-0+deb12u1', '10.11.6-0+deb12u1', 1],
  ['1.0-1-2', '1.0-1-10', -1],
  ['2.7.4-0ubuntu1.6', '2.7.4-0ubuntu1.10', -1],
  ['99999999999999999999.1', '99999999999999999999.2', -1],
];
for (const [a, b, want] of table) {
  test(`${a} vs ${b} → ${want}`, () => {
    assert.is(compareDebVersions(a, b), want);
    assert.is(compareDebVersions(b, a), -want || 0);
  });
}

test('parse: epoch, upstream with dashes, revision', () => {
  assert.equal(parseDebVersion('1:2.0-rc-3'), { epoch: 1, upstream: '2.0-rc', revision: '3' });
  assert.equal(parseDebVersion('4.5.0.9'), { epoch: 0, upstream: '4.5.0.9', revision: '' });
  assert.throws(() => parseDebVersion('a:1'), /epoch/);
  assert.throws(() => parseDebVersion(''), /empty/);
});

test('operators', () => {
  assert.ok(debVersionSatisfies('4.5.0.10', '>=', '4.5.0.10'));
  assert.ok(debVersionSatisfies('4.5.0.9', '<', '4.5.0.10'));
  assert.not.ok(debVersionSatisfies('5.0.0', '<', '5'));
  assert.ok(debVersionSatisfies('5.0.0', '!=', '5.0.1'));
});

const hasDpkg = spawnSync('dpkg', ['--version']).status === 0;
test('agrees with dpkg --compare-versions on generated versions', () => {
  if (!hasDpkg) return;
  const parts = ['0', '1', '01', '9', '10', 'a', 'b', 'A', '~', '~~', '.', '+', '-1', 'rc1', '~rc1', 'ubuntu1', ''];
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
  const gen = () => {
    const ep = rnd(5) === 0 ? `${rnd(3)}:` : '';
    let v = String(rnd(12));
    for (let i = 0, n = rnd(5); i < n; i++) v += parts[rnd(parts.length)];
    return ep + v.replace(/-(?=.*-)/g, '.');
  };
  let checked = 0;
  for (let i = 0; i < 300; i++) {
    const a = gen();
    const b = gen();
    let ours: number;
    try {
      ours = compareDebVersions(a, b);
    } catch {
      continue;
    }
    const lt = spawnSync('dpkg', ['--compare-versions', a, 'lt', b]).status === 0;
    const eq = spawnSync('dpkg', ['--compare-versions', a, 'eq', b]).status === 0;
    const theirs = lt ? -1 : eq ? 0 : 1;
    assert.is(ours, theirs, `${a} vs ${b}`);
    checked++;
  }
  assert.ok(checked > 200, `checked ${checked}`);
});

test.run();
