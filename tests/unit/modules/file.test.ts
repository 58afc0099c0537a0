// file: pure decision table, stat → changed and the commands.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { plan as filePlan } from '../../../modules/file.ts';
import { parseStat } from '../../../modules/facts/files.ts';

const st = (line: string) => parseStat(line);
const fileCases = [
  { name: 'mkdir when missing', p: { path: '/d', kind: 'directory' as const }, f: st('missing'), changed: true, cmds: [/mkdir -p -- \/d/] },
  {
    name: 'directory present',
    p: { path: '/d', kind: 'directory' as const },
    f: st('directory|755|root|root|4096'),
    changed: false,
    cmds: [],
  },
  {
    name: 'chmod only',
    p: { path: '/d', kind: 'directory' as const, mode: '0750' },
    f: st('directory|755|root|root|4096'),
    changed: true,
    cmds: [/chmod 0750 -- \/d/],
  },
  {
    name: 'remove a file',
    p: { path: '/f', present: false },
    f: st('regular file|644|root|root|3'),
    changed: true,
    cmds: [/rm -f -- \/f/],
  },
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

test.run();
