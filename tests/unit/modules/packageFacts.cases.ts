// packageFacts: lab1's dpkg-query output; a no-op that reports.
import { packageFacts } from '../../../modules/packageFacts.ts';
import { cases, type Replay } from '../../support/planCases.ts';

const lab1: Replay[] = [{ run: 'dpkg-query -W', out: 'bookworm/dpkg-query.txt', exitCode: 1 }];

export default cases(packageFacts, [
  {
    name: 'versions and what is missing',
    params: { names: ['ucware', 'ucware-core', 'ucware-admin-client'] },
    replay: lab1,
    expect: {
      noop: 'ucware 4.5.0.9, ucware-core 4.5.0.9, ucware-admin-client not installed',
      result: { missing: ['ucware-admin-client'] },
    },
  },
  {
    name: 'an epoch is kept in the version',
    params: { names: ['mariadb-server'] },
    replay: lab1,
    expect: { noop: 'mariadb-server 1:10.11.18-0+deb12u1' },
  },
]);
