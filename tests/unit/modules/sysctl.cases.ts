// sysctl: lab1's running values (net.ipv4.* are per network namespace) and a key the kernel lacks.
import { sysctl } from '../../../modules/sysctl.ts';
import { cases, type Replay } from '../../support/planCases.ts';

const F = '/etc/sysctl.d/99-ucw-runner.conf';
const st = `stat -c '%F|%a|%U|%G|%s' -- ${F}`;
const fresh = (key: string, out: string, exitCode?: number): Replay[] => [
  { run: `sysctl -n ${key}`, out: `bookworm/sysctl/${out}`, exitCode },
  { run: st, out: 'bookworm/files/stat-missing.txt' },
];
const persisted = (key: string, out: string, content: string): Replay[] => [
  { run: `sysctl -n ${key}`, out: `bookworm/sysctl/${out}` },
  { run: st, stdout: `regular file|644|root|root|${content.length}\n` },
  { run: `cat -- ${F}`, stdout: content },
];
const write = (content: string) => ({
  kind: 'exec' as const,
  cmd: /chmod 0644 "\$t"[^]*mv -f "\$t" \/etc\/sysctl\.d\/99-ucw-runner\.conf/,
  stdin: content,
});

export default cases(sysctl, [
  {
    name: 'new value: sysctl -w and a new file',
    params: { name: 'net.ipv4.tcp_keepalive_time', value: 600 },
    replay: fresh('net.ipv4.tcp_keepalive_time', 'keepalive.txt'),
    expect: {
      reason: `net.ipv4.tcp_keepalive_time 7200 → 600, create ${F}`,
      steps: [{ kind: 'exec', cmd: 'sysctl -q -w net.ipv4.tcp_keepalive_time=600' }, write('net.ipv4.tcp_keepalive_time = 600\n')],
      diff: [{ path: F, before: null, after: 'net.ipv4.tcp_keepalive_time = 600\n' }],
    },
  },
  {
    name: 'running and persisted: no-op',
    params: { name: 'net.ipv4.tcp_keepalive_time', value: '7200' },
    replay: persisted('net.ipv4.tcp_keepalive_time', 'keepalive.txt', 'net.ipv4.tcp_keepalive_time = 7200\n'),
    expect: { noop: `net.ipv4.tcp_keepalive_time is 7200 and persisted in ${F}` },
  },
  {
    name: 'a tab in the running value equals a space',
    params: { name: 'net.ipv4.ip_local_port_range', value: '32768 60999' },
    replay: persisted('net.ipv4.ip_local_port_range', 'port-range.txt', 'net.ipv4.ip_local_port_range = 32768 60999\n'),
    expect: { noop: /is 32768 60999 and persisted/ },
  },
  {
    name: 'running right, not persisted: only the file',
    params: { name: 'net.ipv4.tcp_keepalive_time', value: 7200 },
    replay: fresh('net.ipv4.tcp_keepalive_time', 'keepalive.txt'),
    expect: { reason: `create ${F}`, steps: [write('net.ipv4.tcp_keepalive_time = 7200\n')] },
  },
  {
    name: 'persisted with another value: the line replaced, others kept',
    params: { name: 'net.ipv4.tcp_keepalive_time', value: 7200 },
    replay: persisted('net.ipv4.tcp_keepalive_time', 'keepalive.txt', '# ours\nvm.swappiness = 10\nnet.ipv4.tcp_keepalive_time = 600\n'),
    expect: {
      reason: `update ${F}`,
      steps: [{ kind: 'exec', cmd: /chmod --reference/, stdin: '# ours\nvm.swappiness = 10\nnet.ipv4.tcp_keepalive_time = 7200\n' }],
    },
  },
  {
    name: 'not persisted any more',
    params: { name: 'vm.swappiness', present: false },
    replay: [
      { run: 'sysctl -n vm.swappiness', stdout: '60\n' },
      { run: st, stdout: 'regular file|644|root|root|18\n' },
      { run: `cat -- ${F}`, stdout: 'vm.swappiness = 10\n' },
    ],
    expect: { reason: `update ${F}`, steps: [{ kind: 'exec', cmd: /mv -f/, stdin: '' }] },
  },
  {
    name: 'a key the kernel lacks',
    params: { name: 'net.ipv4.nosuchkey', value: 1 },
    replay: fresh('net.ipv4.nosuchkey', 'missing.txt', 1),
    expect: { throws: 'sysctl: the kernel has no net.ipv4.nosuchkey (sysctl -n failed)' },
  },
  {
    name: 'a file outside /etc/sysctl.d is refused',
    params: { name: 'vm.swappiness', value: 1, file: '/etc/sysctl.conf' },
    expect: { throws: /must be \/etc\/sysctl\.d\/\*\.conf/ },
  },
]);
