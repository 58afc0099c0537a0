// copy: stat and content of /etc/ucware/ucware.php as lab1 has them.
import { copy } from '../../../modules/copy.ts';
import { capture, cases, override, type Replay } from '../../support/planCases.ts';

const PHP = '/etc/ucware/ucware.php';
const php = capture('bookworm/ucware-php.txt');
const lab1 = (...over: Replay[]): Replay[] =>
  override(
    [
      { run: `stat -c '%F|%a|%U|%G|%s' -- ${PHP}`, out: 'bookworm/stat-ucware-php.txt' },
      { run: `cat -- ${PHP}`, out: 'bookworm/ucware-php.txt' },
    ],
    ...over,
  );

export default cases(copy, [
  {
    name: 'same content: nothing to do',
    params: { path: PHP, content: php },
    replay: lab1(),
    expect: { noop: `${PHP} already has this content` },
  },
  {
    name: 'same content, 0644 written as 644 on the host',
    params: { path: PHP, content: php, mode: '0644' },
    replay: lab1(),
    expect: { noop: /already has this content/ },
  },
  {
    name: 'other content: one upload, the diff has both',
    params: { path: PHP, content: php + '// ucw\n' },
    replay: lab1(),
    expect: {
      reason: `update ${PHP}`,
      steps: [{ kind: 'upload', path: PHP, content: php + '// ucw\n' }],
      diff: [{ path: PHP, before: php, after: php + '// ucw\n' }],
    },
  },
  {
    name: 'only the mode differs: chmod',
    params: { path: PHP, content: php, mode: '0640' },
    replay: lab1(),
    expect: { reason: 'mode 644 → 0640', steps: [{ kind: 'exec', cmd: `chmod 0640 -- ${PHP}` }], diff: null },
  },
  {
    name: 'only the owner differs: chown',
    params: { path: PHP, content: php, owner: 'ucware', group: 'ucware' },
    replay: lab1(),
    expect: { reason: 'owner → ucware:ucware', steps: [{ kind: 'exec', cmd: `chown ucware:ucware -- ${PHP}` }] },
  },
  {
    name: 'a new file: no read of the content',
    params: { path: '/etc/ucw-runner-no-such-file', content: 'x\n', mode: '0600' },
    replay: [{ run: "stat -c '%F|%a|%U|%G|%s' -- /etc/ucw-runner-no-such-file", out: 'bookworm/stat-missing.txt' }],
    expect: {
      reason: 'create /etc/ucw-runner-no-such-file',
      steps: [{ kind: 'upload', path: '/etc/ucw-runner-no-such-file', content: 'x\n', mode: '0600' }],
      diff: [{ path: '/etc/ucw-runner-no-such-file', before: null, after: 'x\n' }],
    },
  },
  {
    name: 'a directory in the way is an error',
    params: { path: '/etc/ucware', content: 'x' },
    replay: [{ run: "stat -c '%F|%a|%U|%G|%s' -- /etc/ucware", out: 'bookworm/stat-etc-ucware.txt' }],
    expect: { throws: 'copy: /etc/ucware exists as a directory, not a file' },
  },
  { name: 'a relative path is refused', params: { path: 'etc/x', content: 'x' }, expect: { throws: /"path" must be absolute/ } },
]);
