// user: lab1's getent passwd / id -Gn for ucware (uid 1000, only its own group) and a missing user.
import { user } from '../../../modules/user.ts';
import { secret } from '../../../runner/module.ts';
import { cases, type Replay } from '../../support/planCases.ts';

const none: Replay[] = [{ run: 'getent passwd', out: 'bookworm/accounts/passwd-missing.txt', exitCode: 2 }];
const ucware = (...more: Replay[]): Replay[] => [
  { run: 'getent passwd ucware', out: 'bookworm/accounts/passwd-ucware.txt' },
  { run: 'id -Gn ucware', out: 'bookworm/accounts/id-groups-ucware.txt' },
  ...more,
];
const H = secret('$6$salt$hash');
const x = (cmd: string | RegExp, stdin?: string) => ({ kind: 'exec' as const, cmd, ...(stdin ? { stdin } : {}) });

export default cases(user, [
  {
    name: 'create with groups and shell, home made',
    params: { name: 'ucwadmin', groups: ['sudo', 'adm'], shell: '/bin/bash' },
    replay: none,
    expect: { reason: 'create user ucwadmin in sudo, adm', steps: [x('useradd -G sudo,adm -s /bin/bash -m ucwadmin')] },
  },
  {
    name: 'create a system account without home',
    params: { name: 'agent', system: true, createHome: false, uid: 990 },
    replay: none,
    expect: { reason: 'create user agent', steps: [x('useradd -u 990 -M --system agent')] },
  },
  {
    name: 'create with a hash: chpasswd -e, the hash on stdin only',
    params: { name: 'ucwadmin', passwordHash: H },
    replay: none,
    expect: {
      reason: 'create user ucwadmin, set password',
      steps: [x('useradd -m ucwadmin'), x('chpasswd -e', 'ucwadmin:$6$salt$hash\n')],
    },
  },
  {
    name: 'existing, as asked',
    params: { name: 'ucware', shell: '/bin/bash', groups: [] },
    replay: ucware(),
    expect: { noop: 'user ucware is as wanted (uid 1000, groups ucware)' },
  },
  {
    name: 'append a group',
    params: { name: 'ucware', groups: ['adm'] },
    replay: ucware(),
    expect: { reason: 'ucware: add to adm', steps: [x('usermod -a -G adm ucware')] },
  },
  {
    name: 'exact groups',
    params: { name: 'ucware', groups: ['adm'], exclusiveGroups: true },
    replay: ucware(),
    expect: { reason: 'ucware: add to adm', steps: [x('usermod -G adm ucware')] },
  },
  {
    name: 'exact groups drop one',
    params: { name: 'ucware', groups: [], exclusiveGroups: true },
    replay: ucware({ run: 'id -Gn', stdout: 'ucware sudo\n' }).slice(0, 1).concat({ run: 'id -Gn', stdout: 'ucware sudo\n' }),
    expect: { reason: 'ucware: drop from sudo', steps: [x("usermod -G '' ucware")] },
  },
  {
    name: 'shell and a moved home',
    params: { name: 'ucware', shell: '/bin/sh', home: '/srv/ucware', moveHome: true },
    replay: ucware(),
    expect: {
      reason: 'ucware: shell /bin/bash → /bin/sh; home /home/ucware → /srv/ucware (moved)',
      steps: [x('usermod -s /bin/sh -d /srv/ucware -m ucware')],
    },
  },
  {
    name: 'same hash: no-op (compared on the host)',
    params: { name: 'ucware', passwordHash: H },
    replay: ucware({ run: 'getent shadow ucware', stdin: '$6$salt$hash', stdout: 'same\n' }),
    expect: { noop: /as wanted/ },
  },
  {
    name: 'other hash: chpasswd only',
    params: { name: 'ucware', passwordHash: H },
    replay: ucware({ run: 'getent shadow ucware', stdin: '$6$salt$hash', stdout: 'differs\n' }),
    expect: { reason: 'ucware: password hash changes', steps: [x('chpasswd -e', 'ucware:$6$salt$hash\n')], diff: null },
  },
  {
    name: 'remove with home',
    params: { name: 'ucware', present: false, removeHome: true },
    replay: ucware().slice(0, 2),
    expect: { reason: 'remove user ucware and /home/ucware', steps: [x('userdel -r ucware')] },
  },
  {
    name: 'remove by force: sessions and processes ended first, userdel -f',
    params: { name: 'ucware', present: false, removeHome: true, force: true },
    replay: ucware().slice(0, 2),
    expect: {
      reason: 'remove user ucware and /home/ucware (its processes ended first)',
      steps: [x(/loginctl terminate-user ucware .*pkill -KILL -u ucware; true$/), x('userdel -r -f ucware')],
    },
  },

  {
    name: 'absent already',
    params: { name: 'nosuchuser', present: false },
    replay: none,
    expect: { noop: 'user nosuchuser does not exist' },
  },
  { name: 'a plain-string hash is refused', params: { name: 'u', passwordHash: '$6$x' as never }, expect: { throws: /must be a secret/ } },
]);
