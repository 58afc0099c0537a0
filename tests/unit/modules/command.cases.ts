// command: creates/removes decide from lab1's stat output; otherwise one exec step, kept on failure
// (the task's result carries the output either way).
import { command } from '../../../modules/command.ts';
import { cases, type Replay } from '../../support/planCases.ts';

const stat = (path: string, out: string): Replay[] => [{ run: `stat -c '%F|%a|%U|%G|%s' -- ${path}`, out: `bookworm/${out}` }];

export default cases(command, [
  {
    name: 'creates: the path exists, skip',
    params: { cmd: 'tar xf x.tgz', creates: '/etc/ucware' },
    replay: stat('/etc/ucware', 'stat-etc-ucware.txt'),
    expect: { noop: '/etc/ucware exists' },
  },
  {
    name: 'creates: missing, run',
    params: { cmd: 'tar xf x.tgz', creates: '/etc/ucw-runner-no-such-file' },
    replay: stat('/etc/ucw-runner-no-such-file', 'stat-missing.txt'),
    expect: { reason: 'run tar xf x.tgz', steps: [{ kind: 'exec', cmd: 'tar xf x.tgz', keepOnFailure: true, keep: 'bounded' }] },
  },
  {
    name: 'removes: missing, skip',
    params: { argv: ['rm', '/etc/ucw-runner-no-such-file'], removes: '/etc/ucw-runner-no-such-file' },
    replay: stat('/etc/ucw-runner-no-such-file', 'stat-missing.txt'),
    expect: { noop: '/etc/ucw-runner-no-such-file does not exist' },
  },
  {
    name: "argv is quoted word by word, chdir first; the argv itself travels too (exec'd with no shell)",
    params: { argv: ['ls', 'a b'], chdir: '/etc/ucware' },
    replay: [],
    expect: {
      reason: "run cd /etc/ucware && ls 'a b'",
      steps: [
        {
          kind: 'exec',
          cmd: "cd /etc/ucware && ls 'a b'",
          argv: { argv: ['ls', 'a b'], chdir: '/etc/ucware' },
          keepOnFailure: true,
          keep: 'bounded',
        },
      ],
    },
  },
  { name: 'cmd and argv together are refused', params: { cmd: 'a', argv: ['b'] }, expect: { throws: /exactly one of "cmd" or "argv"/ } },
]);
