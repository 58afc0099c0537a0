// ucwarePreflight: every check on lab1's own output (os-release, dpkg-query, ucware.list, dpkg
// --audit, the lock probe, df, apt-helper, mysql through debian.cnf). lab1 is Debian 12 standing
// in for Ubuntu 18.04, so expectRelease names 12 where the check should pass.
import { ucwarePreflight } from '../../../../modules/ucware/preflight.ts';
import { capture, cases, override, type Replay } from '../../../support/planCases.ts';

const lab1 = (...over: Replay[]): Replay[] =>
  override(
    [
      { run: 'cat /etc/os-release', out: 'bookworm/os-release.txt' },
      { run: 'dpkg-query -W', out: 'bookworm/dpkg-query.txt', exitCode: 1 },
      { run: 'cat -- /etc/apt/sources.list.d/ucware.list', out: 'bookworm/ucware-list.txt' },
      { run: 'dpkg --audit', out: 'bookworm/dpkg-audit.txt' },
      { run: 'cat /proc/locks', out: 'bookworm/locks.txt' },
      { run: 'df -Pm / /var', out: 'bookworm/df.txt' },
      // one answer for both deb lines: exit 0 is what the check reads
      { run: 'apt-helper download-file', out: 'bookworm/apt-helper-download.txt' },
      { run: 'mysql --defaults-file=/etc/mysql/debian.cnf', out: 'bookworm/mysql-version-debian-cnf.txt' },
    ],
    ...over,
  );
const ready = {
  expectRelease: ['12'],
  licenceFile: 'inventory/lab-files/licence-standin.lic',
  snapshot: { provider: 'none' as const, waiver: 'lab host' },
  compatibilityConfirmed: true,
  minFreeMb: { root: 100, var: 100 },
};

export default cases(ucwarePreflight, [
  {
    name: 'lab1 ready: GO',
    params: ready,
    replay: lab1(),
    expect: { noop: 'GO: all 13 checks passed (UCware 4.5.0.9)', result: { ucwareVersion: '4.5.0.9', alreadyDone: false } },
  },
  {
    name: 'the release is not the expected one: NO-GO with the whole table',
    params: { ...ready, expectRelease: ['18.04'] },
    replay: lab1(),
    expect: {
      throws: /^NO-GO: 1 of 13 checks failed\n[\s\S]*FAIL {2}release +Debian GNU\/Linux 12 \(bookworm\) \(VERSION_ID 12; expected 18\.04\)/,
    },
  },
  {
    name: 'ucware-core half-configured: two checks fail',
    params: ready,
    replay: lab1(
      { run: 'dpkg-query -W', out: 'bookworm/dpkg-query-half-configured.txt', exitCode: 1 },
      { run: 'dpkg --audit', out: 'bookworm/dpkg-audit-half-configured.txt' },
    ),
    expect: {
      throws:
        /^NO-GO: 2 of 13 checks failed\n[\s\S]*FAIL {2}package ucware-core +4\.5\.0\.9 \(iF\), expected 4\.5\.x[\s\S]*FAIL {2}dpkg healthy +ucware-core +UCware server core/,
    },
  },
  {
    name: 'nothing prepared (no licence, snapshot, confirmation): NO-GO',
    params: { expectRelease: ['12'], minFreeMb: { root: 100, var: 100 } },
    replay: lab1(),
    expect: { throws: /^NO-GO: 3 of 13 checks failed/ },
  },
  {
    name: 'already on UCware 5 (dpkg-query as after the upgrade): GO, nothing to do',
    params: ready,
    replay: [
      { run: 'cat /etc/os-release', out: 'bookworm/os-release.txt' },
      ...lab1({ run: 'dpkg-query -W', stdout: capture('bookworm/dpkg-query.txt').replace(/4\.5\.0\.9/g, '5.0.2') }).slice(1),
    ],
    expect: { noop: 'GO: already on UCware 5.0.2, nothing to upgrade', result: { alreadyDone: true } },
  },
]);
