// authorizedKey: lab1's ~ucware/.ssh (0700) and authorized_keys (0600, the lab key).
import { authorizedKey } from '../../../modules/authorizedKey.ts';
import { capture, cases, override, type Replay } from '../../support/planCases.ts';

const AK = '/home/ucware/.ssh/authorized_keys';
const OLD = capture('bookworm/files/authorized-keys-ucware.txt').trim();
const NEW = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleExampleExampleExampleExample1234 admin@laptop';
const stat = (p: string) => `stat -c '%F|%a|%U|%G|%s' -- ${p}`;
const lab1 = (...over: Replay[]): Replay[] =>
  override(
    [
      { run: 'getent passwd ucware', out: 'bookworm/accounts/passwd-ucware.txt' },
      { run: 'id -gn ucware', stdout: 'ucware\n' },
      { run: stat(AK), out: 'bookworm/files/stat-authorized-keys-ucware.txt' },
      { run: stat('/home/ucware/.ssh'), out: 'bookworm/files/stat-ssh-dir-ucware.txt' },
      { run: `cat -- ${AK}`, out: 'bookworm/files/authorized-keys-ucware.txt' },
    ],
    ...over,
  );
const up = (content: string) => ({ kind: 'upload' as const, path: AK, content, mode: '0600', owner: 'ucware', group: 'ucware' });
const noSsh = [
  lab1()[0]!,
  lab1()[1]!,
  { run: stat(AK), out: 'bookworm/files/stat-missing.txt' },
  { run: stat('/home/ucware/.ssh'), out: 'bookworm/files/stat-missing.txt' },
];

export default cases(authorizedKey, [
  { name: 'the key is there', params: { user: 'ucware', keys: [OLD] }, replay: lab1(), expect: { noop: `${AK} already has the keys` } },
  {
    name: 'same blob, new comment: replaced, not doubled',
    params: { user: 'ucware', keys: [OLD.replace('ucw-lab', 'renamed')] },
    replay: lab1(),
    expect: { reason: `update ${AK}`, steps: [up(OLD.replace('ucw-lab', 'renamed') + '\n')] },
  },
  {
    name: 'a second key is appended, with the diff',
    params: { user: 'ucware', keys: [NEW] },
    replay: lab1(),
    expect: {
      reason: `update ${AK}`,
      steps: [up(`${OLD}\n${NEW}\n`)],
      diff: [{ path: AK, before: `${OLD}\n`, after: `${OLD}\n${NEW}\n` }],
    },
  },
  {
    name: 'exclusive: only the given key stays',
    params: { user: 'ucware', keys: [NEW], exclusive: true },
    replay: lab1(),
    expect: { reason: `update ${AK}`, steps: [up(`${NEW}\n`)] },
  },
  {
    name: 'options go before the key',
    params: { user: 'ucware', keys: [OLD], options: 'from="10.250.0.0/16"' },
    replay: lab1(),
    expect: { reason: `update ${AK}`, steps: [up(`from="10.250.0.0/16" ${OLD}\n`)] },
  },
  {
    name: 'absent: removed',
    params: { user: 'ucware', keys: [OLD], present: false },
    replay: lab1(),
    expect: { reason: `remove 1 key(s) from ${AK}`, steps: [up('')] },
  },
  {
    name: 'absent and not there',
    params: { user: 'ucware', keys: [NEW], present: false },
    replay: lab1(),
    expect: { noop: `${AK} has none of the keys` },
  },
  {
    name: 'no ~/.ssh: mkdir 0700 and chown first, then the 0600 file',
    params: { user: 'ucware', keys: [NEW] },
    replay: noSsh,
    expect: {
      reason: `create /home/ucware/.ssh, create ${AK}`,
      steps: [
        { kind: 'exec', cmd: 'mkdir -m 0700 -- /home/ucware/.ssh' },
        { kind: 'exec', cmd: 'chown ucware:ucware -- /home/ucware/.ssh' },
        up(`${NEW}\n`),
      ],
    },
  },
  {
    name: 'loose modes are tightened',
    params: { user: 'ucware', keys: [OLD] },
    replay: lab1(
      { run: stat(AK), stdout: 'regular file|644|ucware|ucware|89\n' },
      { run: stat('/home/ucware/.ssh'), stdout: 'directory|755|ucware|ucware|4096\n' },
    ),
    expect: {
      reason: `/home/ucware/.ssh mode 755 → 0700, ${AK} → 0600 ucware:ucware`,
      steps: [
        { kind: 'exec', cmd: 'chmod 0700 -- /home/ucware/.ssh' },
        { kind: 'exec', cmd: `chmod 0600 -- ${AK}` },
        { kind: 'exec', cmd: `chown ucware:ucware -- ${AK}` },
      ],
    },
  },
  {
    name: 'no such user (yet): a step that fails saying so',
    params: { user: 'nosuchuser', keys: [NEW] },
    replay: [{ run: 'getent passwd nosuchuser', out: 'bookworm/accounts/passwd-missing.txt', exitCode: 2 }],
    expect: {
      reason: 'add 1 key(s) for nosuchuser (no such user yet: an earlier task must create it)',
      steps: [
        { kind: 'exec', cmd: "if ! getent passwd nosuchuser >/dev/null; then echo 'authorizedKey: no user nosuchuser' >&2; exit 67; fi" },
      ],
    },
  },
  { name: 'not a key line', params: { user: 'ucware', keys: ['hello'] }, expect: { throws: /not a public key line/ } },
]);
