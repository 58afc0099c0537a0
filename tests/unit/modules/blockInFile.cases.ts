// blockInFile: lab1's /etc/ssh/sshd_config (bookworm's default).
import { blockInFile } from '../../../modules/blockInFile.ts';
import { capture, cases, type Replay } from '../../support/planCases.ts';

const P = '/etc/ssh/sshd_config';
const sshd = capture('bookworm/files/sshd-config.txt');
const lab1: Replay[] = [
  { run: `stat -c '%F|%a|%U|%G|%s' -- ${P}`, out: 'bookworm/files/stat-sshd-config.txt' },
  { run: `cat -- ${P}`, out: 'bookworm/files/sshd-config.txt' },
];
const withContent = (content: string): Replay[] => [lab1[0]!, { run: `cat -- ${P}`, stdout: content }];
const B = 'PermitRootLogin prohibit-password\nMaxAuthTries 3';
const M = '# BEGIN UCW-RUNNER MANAGED BLOCK\nPermitRootLogin prohibit-password\nMaxAuthTries 3\n# END UCW-RUNNER MANAGED BLOCK\n';
const before = sshd.replace('Include ', M + 'Include ');
const w = (content: string, re: RegExp = /mv -f "\$t" \/etc\/ssh\/sshd_config/) => ({ kind: 'exec' as const, cmd: re, stdin: content });

export default cases(blockInFile, [
  {
    name: 'inserted before Include, between markers',
    params: { path: P, block: B, insertBefore: /^Include / },
    replay: lab1,
    expect: { reason: `update ${P}`, steps: [w(before)] },
  },
  {
    name: 'the same block again: no-op',
    params: { path: P, block: B, insertBefore: /^Include / },
    replay: withContent(before),
    expect: { noop: `${P} has the block` },
  },
  {
    name: 'a changed block replaces the old in place',
    params: { path: P, block: 'MaxAuthTries 4' },
    replay: withContent(before),
    expect: {
      reason: `update ${P}`,
      steps: [w(sshd.replace('Include ', '# BEGIN UCW-RUNNER MANAGED BLOCK\nMaxAuthTries 4\n# END UCW-RUNNER MANAGED BLOCK\nInclude '))],
    },
  },
  {
    name: 'a custom marker, at the end',
    params: { path: P, block: B, marker: '# {mark} baseline' },
    replay: lab1,
    expect: { reason: `update ${P}`, steps: [w(sshd + '# BEGIN baseline\n' + B + '\n# END baseline\n')] },
  },
  {
    name: 'absent: block and markers go, the original is back',
    params: { path: P, present: false },
    replay: withContent(before),
    expect: { reason: `update ${P}`, steps: [w(sshd)], diff: [{ path: P, before, after: sshd }] },
  },
  {
    name: 'absent, no block',
    params: { path: P, present: false },
    replay: lab1,
    expect: { noop: `${P} has no block "# BEGIN UCW-RUNNER MANAGED BLOCK"` },
  },
  {
    name: 'validate on the temp file',
    params: { path: P, block: B, validate: '/usr/sbin/sshd -t -f %s' },
    replay: lab1,
    expect: { reason: `update ${P} (validated)`, steps: [w(sshd + M, /\/usr\/sbin\/sshd -t -f "\$t"/)] },
  },
  {
    name: 'a marker without {mark} is refused',
    params: { path: P, block: B, marker: '# managed' },
    expect: { throws: /containing \{mark\}/ },
  },
]);
