// user: params + captured getent/id output → useradd/usermod/userdel/chpasswd, or why not.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { plan, type UserParams, type UserFacts } from '../../../modules/user.ts';
import { parseIdGroups, parsePasswd } from '../../../modules/facts/accounts.ts';
import { secret } from '../../../runner/module.ts';
import { captured } from './captured.ts';

const R = 'bookworm';
const ucware: UserFacts = { entry: parsePasswd(captured(R, 'accounts/passwd-ucware')), groups: parseIdGroups(captured(R, 'accounts/id-groups-ucware')) };
const none: UserFacts = { entry: parsePasswd(captured(R, 'accounts/passwd-missing')), groups: [] };
const H = secret('$6$salt$hash');

const cases: { name: string; p: UserParams; f: UserFacts; cmds?: RegExp[]; noop?: RegExp; reason?: RegExp }[] = [
  { name: 'create with groups, shell, home made', p: { name: 'ucwadmin', groups: ['sudo', 'adm'], shell: '/bin/bash' }, f: none, cmds: [/^useradd -G sudo,adm -s \/bin\/bash -m ucwadmin$/] },
  { name: 'create a system account without home', p: { name: 'agent', system: true, createHome: false, uid: 990 }, f: none, cmds: [/^useradd -u 990 -M --system agent$/] },
  { name: 'create with a password hash: chpasswd -e, hash on stdin only', p: { name: 'ucwadmin', passwordHash: H }, f: none, cmds: [/^useradd -m ucwadmin$/, /^chpasswd -e$/] },
  { name: 'existing, nothing asked differs', p: { name: 'ucware', shell: '/bin/bash', groups: [] }, f: ucware, noop: /user ucware is as wanted \(uid 1000, groups ucware\)/ },
  { name: 'append a group', p: { name: 'ucware', groups: ['adm'] }, f: ucware, cmds: [/^usermod -a -G adm ucware$/], reason: /add to adm/ },
  { name: 'exact groups drop the others', p: { name: 'ucware', groups: ['adm'], exclusiveGroups: true }, f: ucware, cmds: [/^usermod -G adm ucware$/], reason: /add to adm/ },
  { name: 'exact groups: one to drop', p: { name: 'ucware', groups: [], exclusiveGroups: true }, f: { ...ucware, groups: ['ucware', 'sudo'] }, cmds: [/^usermod -G  ucware$|^usermod -G '' ucware$/], reason: /drop from sudo/ },
  { name: 'shell and moved home', p: { name: 'ucware', shell: '/bin/sh', home: '/srv/ucware', moveHome: true }, f: ucware, cmds: [/^usermod -s \/bin\/sh -d \/srv\/ucware -m ucware$/] },
  { name: 'same hash: no-op', p: { name: 'ucware', passwordHash: H }, f: { ...ucware, hashSame: true }, noop: /as wanted/ },
  { name: 'other hash: chpasswd only', p: { name: 'ucware', passwordHash: H }, f: { ...ucware, hashSame: false }, cmds: [/^chpasswd -e$/], reason: /password hash changes/ },
  { name: 'remove with home', p: { name: 'ucware', present: false, removeHome: true }, f: ucware, cmds: [/^userdel -r ucware$/] },
  { name: 'absent already', p: { name: 'nosuchuser', present: false }, f: none, noop: /does not exist/ },
];
for (const c of cases) {
  test(c.name, () => {
    const p = plan(c.p, c.f);
    if (c.noop) return (assert.is(p.changed, false), assert.match(p.reason, c.noop));
    assert.is(p.changed, true);
    assert.equal(p.steps.length, c.cmds!.length);
    c.cmds!.forEach((re, i) => assert.match((p.steps[i] as { cmd: string }).cmd, re));
    if (c.reason) assert.match(p.reason, c.reason);
  });
}
test('the hash is on stdin, never in the command or the reason', () => {
  const p = plan({ name: 'ucwadmin', passwordHash: H }, none);
  const s = p.steps[1] as { cmd: string; stdin: string };
  assert.is(s.stdin, 'ucwadmin:$6$salt$hash\n');
  assert.not.match(JSON.stringify({ ...p, steps: p.steps.map((x) => (x as { cmd: string }).cmd) }), /salt/);
});
test.run();
