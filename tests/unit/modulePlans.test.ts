// Pure decision tables for the core modules: params + facts → changed, reason, steps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { plan as copyPlan } from '../../modules/copy.ts';
import { plan as filePlan } from '../../modules/file.ts';
import { plan as commandPlan, command } from '../../modules/command.ts';
import { parseStat } from '../../modules/facts/files.ts';

const f = (content: string | null, mode = '644', owner = 'root') => ({
  content,
  stat: content === null ? { exists: false } : { exists: true, kind: 'file' as const, mode, owner, group: owner },
});

const copyCases = [
  { name: 'creates a missing file', p: { path: '/etc/x', content: 'a\n' }, f: f(null), changed: true, kinds: ['upload'], reason: /create \/etc\/x/ },
  { name: 'no-op when content equal', p: { path: '/etc/x', content: 'a\n' }, f: f('a\n'), changed: false, kinds: [], reason: /already has this content/ },
  { name: 'updates different content', p: { path: '/etc/x', content: 'b\n' }, f: f('a\n'), changed: true, kinds: ['upload'], reason: /update/ },
  { name: 'backup before replacing', p: { path: '/etc/x', content: 'b\n', backup: true }, f: f('a\n'), changed: true, kinds: ['exec', 'upload'], reason: /update/ },
  { name: 'only the mode differs', p: { path: '/etc/x', content: 'a\n', mode: '0600' }, f: f('a\n'), changed: true, kinds: ['exec'], reason: /mode 644 → 0600/ },
  { name: '0644 equals 644', p: { path: '/etc/x', content: 'a\n', mode: '0644' }, f: f('a\n'), changed: false, kinds: [], reason: /already/ },
  { name: 'owner differs', p: { path: '/etc/x', content: 'a\n', owner: 'ucware' }, f: f('a\n'), changed: true, kinds: ['exec'], reason: /owner/ },
];
for (const c of copyCases) {
  test(`copy: ${c.name}`, () => {
    const p = copyPlan(c.p, c.f);
    assert.is(p.changed, c.changed);
    assert.equal(p.steps.map((s) => s.kind), c.kinds);
    assert.match(p.reason, c.reason);
  });
}
test('copy: the diff carries before and after', () => {
  const p = copyPlan({ path: '/etc/x', content: 'b\n' }, f('a\n'));
  assert.equal(p.diff, [{ path: '/etc/x', before: 'a\n', after: 'b\n' }]);
});

const st = (line: string) => parseStat(line);
const fileCases = [
  { name: 'mkdir when missing', p: { path: '/d', kind: 'directory' as const }, f: st('missing'), changed: true, cmds: [/mkdir -p -- \/d/] },
  { name: 'directory present', p: { path: '/d', kind: 'directory' as const }, f: st('directory|755|root|root|4096'), changed: false, cmds: [] },
  { name: 'chmod only', p: { path: '/d', kind: 'directory' as const, mode: '0750' }, f: st('directory|755|root|root|4096'), changed: true, cmds: [/chmod 0750 -- \/d/] },
  { name: 'remove a file', p: { path: '/f', present: false }, f: st('regular file|644|root|root|3'), changed: true, cmds: [/rm -f -- \/f/] },
  { name: 'already absent', p: { path: '/f', present: false }, f: st('missing'), changed: false, cmds: [] },
  { name: 'touch a file', p: { path: "/tmp/it's" }, f: st('missing'), changed: true, cmds: [/touch -- '\/tmp\/it'\\''s'/] },
];
for (const c of fileCases) {
  test(`file: ${c.name}`, () => {
    const p = filePlan(c.p, c.f);
    assert.is(p.changed, c.changed);
    assert.is(p.steps.length, c.cmds.length);
    c.cmds.forEach((re, i) => assert.match((p.steps[i] as { cmd: string }).cmd, re));
  });
}
test('file: a file where a directory is wanted is an error, not a silent change', () => {
  assert.throws(() => filePlan({ path: '/d', kind: 'directory' }, st('regular file|644|root|root|1')), /exists as a file, not a directory/);
});

test('command: creates/removes decide, otherwise it runs', () => {
  assert.is(commandPlan({ cmd: 'x', creates: '/a' }, { creates: true }).changed, false);
  assert.is(commandPlan({ cmd: 'x', creates: '/a' }, { creates: false }).changed, true);
  assert.is(commandPlan({ cmd: 'x', removes: '/a' }, { removes: false }).changed, false);
  assert.is(commandPlan({ argv: ['ls', 'a b'] }, {}).reason, "run ls 'a b'");
});
test('command: params are validated when the playbook is built', () => {
  assert.throws(() => command({}), /exactly one of "cmd" or "argv"/);
  assert.throws(() => command({ cmd: 'a', argv: ['b'] }), /exactly one/);
});

test.run();
