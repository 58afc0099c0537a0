// assertVersion: lab1's dpkg-query output (UCware 4.5.0.9, MariaDB 10.11, no ucware-admin-client),
// and the same database with ucware-core half-configured.
import { assertVersion } from '../../../modules/assertVersion.ts';
import { cases, type Replay } from '../../support/planCases.ts';

const lab1: Replay[] = [{ run: 'dpkg-query -W', out: 'bookworm/dpkg-query.txt', exitCode: 1 }];
const half: Replay[] = [{ run: 'dpkg-query -W', out: 'bookworm/dpkg-query-half-configured.txt', exitCode: 1 }];

export default cases(assertVersion, [
  {
    name: 'in range',
    params: { packages: ['ucware', 'ucware-core'], atLeast: '4.5', below: '5' },
    replay: lab1,
    expect: { noop: 'ucware 4.5.0.9, ucware-core 4.5.0.9 ok' },
  },
  {
    name: 'too old',
    params: { packages: 'ucware', atLeast: '4.5.0.10' },
    replay: lab1,
    expect: { throws: /ucware 4\.5\.0\.9 < 4\.5\.0\.10/ },
  },
  {
    name: 'epochs compare as dpkg does',
    params: { packages: 'mariadb-server', atLeast: '1:10.11' },
    replay: lab1,
    expect: { noop: /mariadb-server 1:10\.11\.18-0\+deb12u1 ok/ },
  },
  {
    name: 'not installed',
    params: { packages: 'ucware-admin-client', atLeast: '5' },
    replay: lab1,
    expect: { throws: /ucware-admin-client is not installed/ },
  },
  {
    name: 'absent as wanted',
    params: { packages: 'ucware-admin-client', absent: true },
    replay: lab1,
    expect: { noop: /ucware-admin-client absent ok/ },
  },
  {
    name: 'half-configured is not installed',
    params: { packages: 'ucware-core', atLeast: '4.5' },
    replay: half,
    expect: { throws: /ucware-core is not installed \(dpkg status "iF", version 4\.5\.0\.9\)/ },
  },
  { name: 'no bound at all is refused', params: { packages: 'ucware' }, expect: { throws: /give atLeast/ } },
]);
