// group: params + captured getent output → groupadd/groupmod/groupdel, or why not.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { plan, type GroupParams } from '../../../modules/group.ts';
import { parseGroup, type GroupEntry } from '../../../modules/facts/accounts.ts';
import { captured } from './captured.ts';

const sudo = parseGroup(captured('bookworm', 'accounts/group-sudo'));
const none = parseGroup(captured('bookworm', 'accounts/group-missing'));
const cases: { name: string; p: GroupParams; f: GroupEntry | null; cmd?: RegExp; noop?: RegExp }[] = [
  { name: 'create with a gid', p: { name: 'ucwadmin', gid: 2001 }, f: none, cmd: /^groupadd -g 2001 ucwadmin$/ },
  { name: 'create a system group', p: { name: 'agents', system: true }, f: none, cmd: /^groupadd --system agents$/ },
  { name: 'exists with its gid', p: { name: 'sudo', gid: 27 }, f: sudo, noop: /group sudo exists \(gid 27\)/ },
  { name: 'exists, gid not asked', p: { name: 'sudo' }, f: sudo, noop: /exists/ },
  { name: 'other gid', p: { name: 'sudo', gid: 2002 }, f: sudo, cmd: /^groupmod -g 2002 sudo$/ },
  { name: 'remove', p: { name: 'sudo', present: false }, f: sudo, cmd: /^groupdel sudo$/ },
  { name: 'absent already', p: { name: 'nosuchgroup', present: false }, f: none, noop: /does not exist/ },
];
for (const c of cases) {
  test(c.name, () => {
    const p = plan(c.p, c.f);
    if (c.noop) return (assert.is(p.changed, false), assert.match(p.reason, c.noop));
    assert.is(p.steps.length, 1);
    assert.match((p.steps[0] as { cmd: string }).cmd, c.cmd!);
  });
}
test.run();
