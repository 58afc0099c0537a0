// copy: pure decision table, params + facts → changed, reason, steps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { plan as copyPlan } from '../../../modules/copy.ts';

const f = (content: string | null, mode = '644', owner = 'root') => ({
  content,
  stat: content === null ? { exists: false } : { exists: true, kind: 'file' as const, mode, owner, group: owner },
});

const copyCases = [
  {
    name: 'creates a missing file',
    p: { path: '/etc/x', content: 'a\n' },
    f: f(null),
    changed: true,
    kinds: ['upload'],
    reason: /create \/etc\/x/,
  },
  {
    name: 'no-op when content equal',
    p: { path: '/etc/x', content: 'a\n' },
    f: f('a\n'),
    changed: false,
    kinds: [],
    reason: /already has this content/,
  },
  {
    name: 'updates different content',
    p: { path: '/etc/x', content: 'b\n' },
    f: f('a\n'),
    changed: true,
    kinds: ['upload'],
    reason: /update/,
  },
  {
    name: 'backup before replacing',
    p: { path: '/etc/x', content: 'b\n', backup: true },
    f: f('a\n'),
    changed: true,
    kinds: ['exec', 'upload'],
    reason: /update/,
  },
  {
    name: 'only the mode differs',
    p: { path: '/etc/x', content: 'a\n', mode: '0600' },
    f: f('a\n'),
    changed: true,
    kinds: ['exec'],
    reason: /mode 644 → 0600/,
  },
  {
    name: '0644 equals 644',
    p: { path: '/etc/x', content: 'a\n', mode: '0644' },
    f: f('a\n'),
    changed: false,
    kinds: [],
    reason: /already/,
  },
  {
    name: 'owner differs',
    p: { path: '/etc/x', content: 'a\n', owner: 'ucware' },
    f: f('a\n'),
    changed: true,
    kinds: ['exec'],
    reason: /owner/,
  },
];
for (const c of copyCases) {
  test(`copy: ${c.name}`, () => {
    const p = copyPlan(c.p, c.f);
    assert.is(p.changed, c.changed);
    assert.equal(
      p.steps.map((s) => s.kind),
      c.kinds,
    );
    assert.match(p.reason, c.reason);
  });
}
test('copy: the diff carries before and after', () => {
  const p = copyPlan({ path: '/etc/x', content: 'b\n' }, f('a\n'));
  assert.equal(p.diff, [{ path: '/etc/x', before: 'a\n', after: 'b\n' }]);
});

test('copy: a secret copy with validate shows no content (no diff, not in the reason or the command)', () => {
  const p = copyPlan(
    { path: '/etc/sudoers.d/x', content: 'S3CRET\n', secret: true, validate: 'visudo -cf %s', backup: true },
    { stat: { exists: true, kind: 'file' as const, mode: '440', owner: 'root', group: 'root' }, sha256: '0'.repeat(64) },
  );
  assert.is(p.changed, true);
  assert.is(p.diff, undefined);
  assert.match(p.reason, /secret content, not shown/);
  assert.equal(
    p.steps.map((s) => s.kind),
    ['exec'],
  );
  const step = p.steps[0] as { cmd: string; stdin?: string };
  assert.not.match(step.cmd, /S3CRET/);
  assert.match(step.cmd, /visudo -cf "\$t"/);
  assert.is(step.stdin, 'S3CRET\n');
});

test.run();
