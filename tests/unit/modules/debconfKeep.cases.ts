// debconfKeep: lab1's sha256sum of two conffiles, no needrestart; before the upgrade, and after
// (verify, on ucware.php, whose content is captured too).
import { debconfKeep, APT_DROP_IN, APT_DROP_IN_TEXT } from '../../../modules/debconfKeep.ts';
import { capture, cases, override, type Replay } from '../../support/planCases.ts';

const FILES = ['/etc/ucware/ucware.php', '/etc/init/asterisk.conf'];
const STATE = '/var/lib/ucw-runner/debconfKeep.sha256';
const sums = capture('bookworm/sha256sum-conffiles.txt');
const PHP = '/etc/ucware/ucware.php';
const phpSum = sums.split('\n').find((l) => l.endsWith(`  ${PHP}`))! + '\n';
const before = (...over: Replay[]): Replay[] =>
  override(
    [
      { run: 'sha256sum -- "$f"', out: 'bookworm/sha256sum-conffiles.txt' },
      { run: `cat -- ${STATE}`, exitCode: 3 },
      { run: `cat -- ${APT_DROP_IN}`, exitCode: 3 },
      { run: 'test -d /etc/needrestart', exitCode: 1 },
    ],
    ...over,
  );
const after = (...over: Replay[]): Replay[] =>
  override(
    [
      { run: 'sha256sum -- "$f"', stdout: phpSum },
      // the record written before the upgrade is sha256sum's own format
      { run: `cat -- ${STATE}`, out: 'bookworm/sha256sum-conffiles.txt' },
      { run: '[ -f "$f" ] && echo "$f"', stdout: '' },
      { run: `cat -- ${PHP};`, out: 'bookworm/ucware-php.txt' },
    ],
    ...over,
  );

export default cases(debconfKeep, [
  {
    name: 'before: the apt drop-in and the record; no needrestart, no drop-in for it',
    params: { files: FILES },
    replay: before(),
    expect: {
      reason: `write ${APT_DROP_IN}, record checksums of 2 file(s) in ${STATE}`,
      steps: [
        { kind: 'upload', path: APT_DROP_IN, content: APT_DROP_IN_TEXT, mode: '0644' },
        { kind: 'exec', cmd: 'mkdir -p -- /var/lib/ucw-runner' },
        { kind: 'upload', path: STATE, content: sums, mode: '0600' },
      ],
    },
  },
  {
    name: 'before, second run: all in place',
    params: { files: FILES },
    replay: before(
      { run: `cat -- ${STATE}`, out: 'bookworm/sha256sum-conffiles.txt' },
      { run: `cat -- ${APT_DROP_IN}`, stdout: APT_DROP_IN_TEXT },
    ),
    expect: { noop: 'drop-ins in place, checksums recorded' },
  },
  {
    name: 'after: kept as recorded',
    params: { files: [PHP], verify: true },
    replay: after(),
    expect: { noop: '1 kept', result: { kept: [PHP], changed: [], leftovers: [] } },
  },
  {
    name: 'after: the package left its version beside the kept file',
    params: { files: [PHP], verify: true },
    replay: after(
      { run: '[ -f "$f" ] && echo "$f"', stdout: '/etc/ucware/ucware.php.dpkg-dist\n' },
      { run: `cat -- ${PHP}.dpkg-dist;`, stdout: capture('bookworm/ucware-php.txt').replace(/^\/\/ local change.*\n/m, '') },
    ),
    expect: { noop: '1 kept; package version left as /etc/ucware/ucware.php.dpkg-dist (1 lines differ)' },
  },
  {
    name: 'after, with no record: the upgrade was not prepared',
    params: { files: [PHP], verify: true },
    replay: after({ run: `cat -- ${STATE}`, exitCode: 3 }),
    expect: { throws: /no record for \/etc\/ucware\/ucware\.php \(run debconfKeep before the upgrade\)/ },
  },
  {
    name: 'after: a changed conffile fails',
    params: { files: [PHP], verify: true },
    replay: after({ run: `cat -- ${STATE}`, stdout: sums.replace(/^[0-9a-f]{64}/, 'a'.repeat(64)) }),
    expect: { throws: /CHANGED: \/etc\/ucware\/ucware\.php \(aaaaaaaaaaaa… → [0-9a-f]{12}…\)/ },
  },
  { name: 'verify needs files', params: { verify: true }, expect: { throws: /needs "files"/ } },
]);
