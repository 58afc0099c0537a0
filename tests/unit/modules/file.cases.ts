// file: stat output of lab1's paths decides.
import { file } from '../../../modules/file.ts';
import { cases, type Replay } from '../../support/planCases.ts';

const stat = (path: string, out: string): Replay[] => [{ run: `stat -c '%F|%a|%U|%G|%s' -- ${path}`, out: `bookworm/${out}` }];

export default cases(file, [
  {
    name: 'a directory that is there',
    params: { path: '/etc/ucware', kind: 'directory' },
    replay: stat('/etc/ucware', 'stat-etc-ucware.txt'),
    expect: { noop: '/etc/ucware is as wanted' },
  },
  {
    name: 'its mode differs: chmod',
    params: { path: '/etc/ucware', kind: 'directory', mode: '0750' },
    replay: stat('/etc/ucware', 'stat-etc-ucware.txt'),
    expect: { reason: 'mode 755 → 0750', steps: [{ kind: 'exec', cmd: 'chmod 0750 -- /etc/ucware' }] },
  },
  {
    name: 'its owner differs: chown',
    params: { path: '/etc/ucware', kind: 'directory', owner: 'ucware' },
    replay: stat('/etc/ucware', 'stat-etc-ucware.txt'),
    expect: { reason: 'owner root:root → ucware:root', steps: [{ kind: 'exec', cmd: 'chown ucware -- /etc/ucware' }] },
  },
  {
    name: 'a missing directory: mkdir -p',
    params: { path: '/etc/ucw-runner-no-such-file', kind: 'directory', mode: '0700' },
    replay: stat('/etc/ucw-runner-no-such-file', 'stat-missing.txt'),
    expect: {
      reason: 'create directory /etc/ucw-runner-no-such-file, mode - → 0700',
      steps: [
        { kind: 'exec', cmd: 'mkdir -p -- /etc/ucw-runner-no-such-file' },
        { kind: 'exec', cmd: 'chmod 0700 -- /etc/ucw-runner-no-such-file' },
      ],
      diff: [{ path: '/etc/ucw-runner-no-such-file', before: null, after: '(directory)\n' }],
    },
  },
  {
    name: 'remove a file',
    params: { path: '/etc/hosts', present: false },
    replay: stat('/etc/hosts', 'stat-etc-hosts.txt'),
    expect: {
      reason: 'remove /etc/hosts',
      steps: [{ kind: 'exec', cmd: 'rm -f -- /etc/hosts' }],
      diff: [{ path: '/etc/hosts', before: '(file)\n', after: null }],
    },
  },
  {
    name: 'remove a directory',
    params: { path: '/etc/ucware', present: false },
    replay: stat('/etc/ucware', 'stat-etc-ucware.txt'),
    expect: { reason: 'remove directory /etc/ucware', steps: [{ kind: 'exec', cmd: 'rm -rf -- /etc/ucware' }] },
  },
  {
    name: 'already absent',
    params: { path: '/etc/ucw-runner-no-such-file', present: false },
    replay: stat('/etc/ucw-runner-no-such-file', 'stat-missing.txt'),
    expect: { noop: '/etc/ucw-runner-no-such-file is already absent' },
  },
  {
    name: 'a file where a directory is wanted is an error',
    params: { path: '/etc/hosts', kind: 'directory' },
    replay: stat('/etc/hosts', 'stat-etc-hosts.txt'),
    expect: { throws: 'file: /etc/hosts exists as a file, not a directory; remove it first (present: false)' },
  },
]);
