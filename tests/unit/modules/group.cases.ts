// group: lab1's getent group sudo (gid 27) and a missing group.
import { group } from '../../../modules/group.ts';
import { cases, type Replay } from '../../support/planCases.ts';

const none: Replay[] = [{ run: 'getent group', out: 'bookworm/accounts/group-missing.txt', exitCode: 2 }];
const sudo: Replay[] = [{ run: 'getent group sudo', out: 'bookworm/accounts/group-sudo.txt' }];

export default cases(group, [
  {
    name: 'create with a gid',
    params: { name: 'ucwadmin', gid: 2001 },
    replay: none,
    expect: {
      reason: 'create group ucwadmin (gid 2001)',
      steps: [{ kind: 'exec', cmd: 'groupadd -g 2001 ucwadmin' }],
      diff: [{ path: '/etc/group', before: null, after: 'ucwadmin:x:2001\n' }],
    },
  },
  {
    name: 'create a system group',
    params: { name: 'agents', system: true },
    replay: none,
    expect: { reason: 'create group agents', steps: [{ kind: 'exec', cmd: 'groupadd --system agents' }] },
  },
  { name: 'exists with its gid', params: { name: 'sudo', gid: 27 }, replay: sudo, expect: { noop: 'group sudo exists (gid 27)' } },
  {
    name: 'other gid',
    params: { name: 'sudo', gid: 2002 },
    replay: sudo,
    expect: { reason: 'gid of sudo 27 → 2002', steps: [{ kind: 'exec', cmd: 'groupmod -g 2002 sudo' }] },
  },
  {
    name: 'remove',
    params: { name: 'sudo', present: false },
    replay: sudo,
    expect: { reason: 'remove group sudo', steps: [{ kind: 'exec', cmd: 'groupdel sudo' }] },
  },
  {
    name: 'absent already',
    params: { name: 'nosuchgroup', present: false },
    replay: none,
    expect: { noop: 'group nosuchgroup does not exist' },
  },
  { name: 'a bad name is refused', params: { name: 'Bad Name' }, expect: { throws: /not a valid group name/ } },
]);
