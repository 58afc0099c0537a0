// cron: lab1's /etc/cron.d/e2scrub_all (a package's file) and root's crontab (none yet).
import { cron } from '../../../modules/cron.ts';
import { capture, cases, type Replay } from '../../support/planCases.ts';

const E2 = capture('bookworm/cron/e2scrub_all.txt');
const cronD = (name: string, content: string | null): Replay[] =>
  content === null
    ? [{ run: `stat -c '%F|%a|%U|%G|%s' -- /etc/cron.d/${name}`, out: 'bookworm/files/stat-missing.txt' }]
    : [
        { run: `stat -c '%F|%a|%U|%G|%s' -- /etc/cron.d/${name}`, out: 'bookworm/files/stat-cron-e2scrub.txt' },
        { run: `cat -- /etc/cron.d/${name}`, stdout: content },
      ];
const noCrontab: Replay[] = [{ run: 'crontab -u root -l', stdout: 'no crontab for root\n', exitCode: 1 }];
const job = { name: 'mysql dump', minute: '15', hour: '2', job: '/usr/local/sbin/ucw-dump >/dev/null' };
const entry = '# ucw-runner: mysql dump\n15 2 * * * root /usr/local/sbin/ucw-dump >/dev/null\n';

export default cases(cron, [
  {
    name: 'a new cron.d file with the user field (its folder made first: a host without cron has none)',
    params: { ...job, cronFile: 'ucw-backup' },
    replay: cronD('ucw-backup', null),
    expect: {
      reason: 'add "mysql dump" in /etc/cron.d/ucw-backup',
      steps: [
        { kind: 'exec', cmd: 'mkdir -p -m 0755 /etc/cron.d' },
        { kind: 'exec', cmd: /chown root:root "\$t"\nchmod 0644 "\$t"/, stdin: entry },
      ],
      diff: [{ path: '/etc/cron.d/ucw-backup', before: null, after: entry }],
    },
  },
  {
    name: 'the entry is there: no-op',
    params: { ...job, cronFile: 'e2scrub_all' },
    replay: cronD('e2scrub_all', E2 + entry),
    expect: { noop: 'cron.d/e2scrub_all has the entry "mysql dump"'.replace('cron.d', '/etc/cron.d') },
  },
  {
    name: "beside a package's entries, which stay",
    params: { ...job, cronFile: 'e2scrub_all' },
    replay: cronD('e2scrub_all', E2),
    expect: {
      reason: 'add "mysql dump" in /etc/cron.d/e2scrub_all',
      steps: [{ kind: 'exec', cmd: /mv -f "\$t" \/etc\/cron\.d\/e2scrub_all/, stdin: E2 + entry }],
    },
  },
  {
    name: 'a new schedule replaces the named entry',
    params: { ...job, hour: '3', cronFile: 'e2scrub_all' },
    replay: cronD('e2scrub_all', E2 + entry),
    expect: {
      reason: 'update "mysql dump" in /etc/cron.d/e2scrub_all',
      steps: [{ kind: 'exec', cmd: /mv -f/, stdin: E2 + entry.replace('15 2', '15 3') }],
    },
  },
  {
    name: 'absent: marker and entry go',
    params: { name: 'mysql dump', present: false, cronFile: 'e2scrub_all' },
    replay: cronD('e2scrub_all', E2 + entry),
    expect: { reason: 'remove "mysql dump" in /etc/cron.d/e2scrub_all', steps: [{ kind: 'exec', cmd: /mv -f/, stdin: E2 }] },
  },
  {
    name: 'user crontab, none yet: crontab -u root -',
    params: { name: 'cleanup', special: 'daily', job: 'find /tmp/ucw -mtime +7 -delete' },
    replay: noCrontab,
    expect: {
      reason: 'add "cleanup" in crontab of root',
      steps: [{ kind: 'exec', cmd: 'crontab -u root -', stdin: '# ucw-runner: cleanup\n@daily find /tmp/ucw -mtime +7 -delete\n' }],
      diff: [{ path: '(crontab root)', before: null, after: '# ucw-runner: cleanup\n@daily find /tmp/ucw -mtime +7 -delete\n' }],
    },
  },
  {
    name: 'user crontab, absent and none',
    params: { name: 'cleanup', present: false },
    replay: noCrontab,
    expect: { noop: 'crontab of root has no entry "cleanup"' },
  },
  {
    name: 'a dotted cron.d name is refused (cron would skip it)',
    params: { ...job, cronFile: 'ucw.backup' },
    expect: { throws: /only letters, digits/ },
  },
]);
