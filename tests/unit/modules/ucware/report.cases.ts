// ucwareReport: always writes the report; facts are the diffs of kept conffiles, read on the host.
import { ucwareReport } from '../../../../modules/ucware/report.ts';
import { cases } from '../../../support/planCases.ts';

const base = {
  dir: 'backups/lab1/20261201-0930',
  before: { ucware: '4.5.0.9' },
  after: { ucware: '5.0.2' },
  conffiles: [],
  snapshots: ['before-ucware-5'],
  phases: { backup: 12 },
  pending: [],
};

export default cases(ucwareReport, [
  {
    name: 'nothing kept: no host command',
    params: base,
    replay: [],
    expect: { reason: 'write backups/lab1/20261201-0930/upgrade-report.md', steps: [] },
  },
  {
    name: 'a kept conffile with the package version beside it: diff -u read on the host',
    params: { ...base, conffiles: [{ path: '/etc/ucware/ucware.php', leftovers: [{ path: '/etc/ucware/ucware.php.dpkg-dist' }] }] },
    replay: [{ run: 'diff -u -- /etc/ucware/ucware.php /etc/ucware/ucware.php.dpkg-dist', exitCode: 1, stdout: '' }],
    expect: { reason: 'write backups/lab1/20261201-0930/upgrade-report.md', steps: [] },
  },
]);
