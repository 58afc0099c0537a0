// authorizedKey: params + the captured ~ucware/.ssh state → the new file and the mode fixes, or why not.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { plan, keyId, type AuthorizedKeyParams, type AuthorizedKeyFacts } from '../../../modules/authorizedKey.ts';
import { parsePasswd } from '../../../modules/facts/accounts.ts';
import { parseStat } from '../../../modules/facts/files.ts';
import { captured } from './captured.ts';

const R = 'bookworm';
const have = captured(R, 'files/authorized-keys-ucware');
const f: AuthorizedKeyFacts = {
  entry: parsePasswd(captured(R, 'accounts/passwd-ucware')),
  group: 'ucware',
  dir: parseStat(captured(R, 'files/stat-ssh-dir-ucware')),
  file: parseStat(captured(R, 'files/stat-authorized-keys-ucware')),
  content: have,
};
const noDir: AuthorizedKeyFacts = { ...f, dir: parseStat(captured(R, 'files/stat-missing')), file: parseStat(captured(R, 'files/stat-missing')), content: null };
const NEW = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleExampleExampleExampleExample1234 admin@laptop';
const OLD = have.trim();

const cases: { name: string; p: AuthorizedKeyParams; f: AuthorizedKeyFacts; kinds?: string[]; after?: string; noop?: RegExp }[] = [
  { name: 'the key is there: no-op', p: { user: 'ucware', keys: [OLD] }, f, noop: /already has the keys/ },
  { name: 'same key, other comment: no-op by blob', p: { user: 'ucware', keys: [OLD.replace('ucw-lab', 'renamed')] }, f, kinds: ['upload'], after: OLD.replace('ucw-lab', 'renamed') + '\n' },
  { name: 'a second key is appended', p: { user: 'ucware', keys: [NEW] }, f, kinds: ['upload'], after: `${OLD}\n${NEW}\n` },
  { name: 'exclusive: only the given key stays', p: { user: 'ucware', keys: [NEW], exclusive: true }, f, kinds: ['upload'], after: `${NEW}\n` },
  { name: 'options go before the key', p: { user: 'ucware', keys: [OLD], options: 'from="10.250.0.0/16"' }, f, kinds: ['upload'], after: `from="10.250.0.0/16" ${OLD}\n` },
  { name: 'absent removes it', p: { user: 'ucware', keys: [OLD], present: false }, f, kinds: ['upload'], after: '' },
  { name: 'absent and not there', p: { user: 'ucware', keys: [NEW], present: false }, f, noop: /has none of the keys/ },
  { name: 'no ~/.ssh yet: mkdir 0700, chown, file 0600', p: { user: 'ucware', keys: [NEW] }, f: noDir, kinds: ['exec', 'exec', 'upload'], after: `${NEW}\n` },
  { name: 'loose modes are tightened', p: { user: 'ucware', keys: [OLD] }, f: { ...f, dir: { ...f.dir, mode: '755' }, file: { ...f.file, mode: '644' } }, kinds: ['exec', 'exec', 'exec'] },
];
for (const c of cases) {
  test(c.name, () => {
    const p = plan(c.p, c.f);
    if (c.noop) return (assert.is(p.changed, false), assert.match(p.reason, c.noop));
    assert.equal(p.steps.map((s) => s.kind), c.kinds);
    const up = p.steps.find((s) => s.kind === 'upload') as { content: string; mode: string; owner: string } | undefined;
    if (c.after !== undefined) assert.equal({ content: up?.content, mode: up?.mode, owner: up?.owner }, { content: c.after, mode: '0600', owner: 'ucware' });
  });
}
test('keyId skips options with quoted commas and spaces', () => {
  assert.is(keyId(`command="echo a, b",no-pty ${NEW}`), NEW.split(' ').slice(0, 2).join(' '));
  assert.is(keyId('# a comment'), null);
});
test.run();
