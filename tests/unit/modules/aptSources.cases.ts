// aptSources: lab1's one-line ucware.list and a bookworm deb822 debian.sources, edited in place.
import { aptSources } from '../../../modules/aptSources.ts';
import { parseSourceFiles } from '../../../modules/facts/sources.ts';
import { capture, cases, type Replay } from '../../support/planCases.ts';

const UCW = '/etc/apt/sources.list.d/ucware.list';
const DEB = '/etc/apt/sources.list.d/debian.sources';
const lab1: Replay[] = [{ run: 'for f in ', out: 'bookworm/apt-sources.txt' }];
const deb822: Replay[] = [{ run: 'for f in ', out: 'bookworm/apt-sources-deb822.txt' }];
const ucw = parseSourceFiles(capture('bookworm/apt-sources.txt')).find((f) => f.path === UCW)!.content;
const debian = parseSourceFiles(capture('bookworm/apt-sources-deb822.txt')).find((f) => f.path === DEB)!.content;
const to5 = ucw.replace('/ucware-4.5 ', '/ucware-5 ');
const FIRMWARE = 'deb [trusted=yes] http://10.250.0.1:8080/ubuntu/ucware-firmware bionic main';

export default cases(aptSources, [
  {
    name: 'ucware-4.5 → ucware-5: one URI segment, the file uploaded whole',
    params: { file: UCW, replace: { field: 'uri', from: 'ucware-4.5', to: 'ucware-5' } },
    replay: lab1,
    expect: {
      reason: `uri ucware-4.5 → ucware-5 in ${UCW} (1 entry)`,
      steps: [{ kind: 'upload', path: UCW, content: to5 }],
      diff: [{ path: UCW, before: ucw, after: to5 }],
    },
  },
  {
    name: 'the second run: already ucware-5',
    params: { file: UCW, replace: { field: 'uri', from: 'ucware-4.5', to: 'ucware-5' } },
    replay: [{ run: 'for f in ', stdout: `\x1e${UCW}\x1f${to5}` }],
    expect: { noop: `${UCW} already uses ucware-5` },
  },
  {
    name: 'a typo names what is there',
    params: { file: UCW, replace: { field: 'uri', from: 'ucware-4.6', to: 'ucware-5' } },
    replay: lab1,
    expect: {
      throws:
        /no uri "ucware-4\.6" \(nor "ucware-5"\) in \/etc\/apt\/sources\.list\.d\/ucware\.list; entries there: http:\/\/10\.250\.0\.1:8080\/ubuntu\/ucware-4\.5 bionic; .*ucware-firmware bionic/,
    },
  },
  {
    name: 'a line that is in another file already',
    params: { file: '/etc/apt/sources.list.d/other.list', line: FIRMWARE },
    replay: lab1,
    expect: { noop: `already in ${UCW} line 2` },
  },
  {
    name: 'a new line in a new file: mode 0644',
    params: { file: '/etc/apt/sources.list.d/mysql.list', line: 'deb http://repo.mysql.com/apt/debian bookworm mysql-8.0' },
    replay: lab1,
    expect: {
      reason: /mysql\.list/,
      steps: [
        {
          kind: 'upload',
          path: '/etc/apt/sources.list.d/mysql.list',
          content: 'deb http://repo.mysql.com/apt/debian bookworm mysql-8.0\n',
          mode: '0644',
        },
      ],
      diff: [
        { path: '/etc/apt/sources.list.d/mysql.list', before: null, after: 'deb http://repo.mysql.com/apt/debian bookworm mysql-8.0\n' },
      ],
    },
  },
  {
    name: 'remove a line, the rest kept',
    params: { line: FIRMWARE, present: false },
    replay: lab1,
    expect: { reason: `remove 1 entry from ${UCW}`, steps: [{ kind: 'upload', path: UCW, content: ucw.replace(FIRMWARE + '\n', '') }] },
  },
  {
    name: 'removing a line that is nowhere',
    params: { line: 'deb http://x/ y main', present: false },
    replay: lab1,
    expect: { noop: 'no such entry' },
  },
  {
    name: 'deb822: a suite word replaced; backup first, update after',
    params: { file: DEB, replace: { field: 'suite', from: 'bookworm-updates', to: 'bookworm-backports' }, backup: true, update: true },
    replay: deb822,
    expect: {
      reason: `suite bookworm-updates → bookworm-backports in ${DEB} (1 entry), then apt-get update`,
      steps: [
        {
          kind: 'exec',
          cmd: /^cp -p -- \/etc\/apt\/sources\.list\.d\/debian\.sources \/etc\/apt\/sources\.list\.d\/debian\.sources\.\d{8}T\d{6}\.bak$/,
        },
        { kind: 'upload', path: DEB, content: debian.replace('bookworm bookworm-updates', 'bookworm bookworm-backports') },
        // a held lists lock is waited for (up to lockWaitSec, default 300 s)
        { kind: 'exec', cmd: /apt-get .*-q update <\/dev\/null$/, lockWait: { waitMs: 300_000 } },
      ],
    },
  },
  {
    name: 'deb822: an entry that is there (URI trailing slash aside) is a no-op',
    params: { file: DEB, entry: { uris: ['http://deb.debian.org/debian-security/'], suites: ['bookworm-security'], components: ['main'] } },
    replay: deb822,
    expect: { noop: /already in \/etc\/apt\/sources\.list\.d\/debian\.sources/ },
  },
  {
    name: 'deb822: a new stanza after a blank line',
    params: { file: DEB, entry: { uris: ['http://deb.debian.org/debian'], suites: ['bookworm-backports'], components: ['main'] } },
    replay: deb822,
    expect: {
      reason: /debian\.sources/,
      steps: [
        {
          kind: 'upload',
          path: DEB,
          content: debian + '\nTypes: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\n',
        },
      ],
    },
  },
  {
    name: 'a line with a file outside /etc/apt is refused',
    params: { file: '/tmp/x.list', line: 'deb http://x/ y main' },
    expect: { throws: /must be \/etc\/apt/ },
  },
]);
