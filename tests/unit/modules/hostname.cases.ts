// hostname: /etc/hostname, the 127.0.1.1 line of /etc/hosts, the running name (captured from lab1).
import { hostname } from '../../../modules/hostname.ts';
import { capture, cases, override, type Replay } from '../../support/planCases.ts';

const lab1 = (...over: Replay[]): Replay[] =>
  override(
    [
      { run: /^hostname$/, out: 'bookworm/hostname.txt' },
      { run: 'cat -- /etc/hostname', out: 'bookworm/etc-hostname.txt' },
      { run: 'cat -- /etc/hosts', out: 'bookworm/etc-hosts.txt' },
    ],
    ...over,
  );
const hosts = capture('bookworm/etc-hosts.txt');

export default cases(hostname, [
  { name: 'already named: nothing to do', params: { name: 'lab1' }, replay: lab1(), expect: { noop: 'host name is already lab1' } },
  {
    name: 'rename: /etc/hostname, the 127.0.1.1 line, the running name',
    params: { name: 'pbx-berlin-1' },
    replay: lab1(),
    expect: {
      reason: '/etc/hostname lab1 → pbx-berlin-1, /etc/hosts 127.0.1.1 → pbx-berlin-1, running name lab1 → pbx-berlin-1',
      steps: [
        { kind: 'upload', path: '/etc/hostname', content: 'pbx-berlin-1\n', mode: '0644' },
        { kind: 'upload', path: '/etc/hosts', content: hosts.replace('127.0.1.1\tlab1', '127.0.1.1\tpbx-berlin-1') },
        { kind: 'exec', cmd: 'hostname pbx-berlin-1' },
      ],
      diff: [
        { path: '/etc/hostname', before: 'lab1\n', after: 'pbx-berlin-1\n' },
        { path: '/etc/hosts', before: hosts, after: hosts.replace('127.0.1.1\tlab1', '127.0.1.1\tpbx-berlin-1') },
      ],
    },
  },
  {
    name: 'a domain: only the 127.0.1.1 line changes, to FQDN and name',
    params: { name: 'lab1', domain: 'pbx.example.com' },
    replay: lab1(),
    expect: {
      reason: '/etc/hosts 127.0.1.1 → lab1.pbx.example.com lab1',
      steps: [{ kind: 'upload', path: '/etc/hosts', content: hosts.replace('127.0.1.1\tlab1', '127.0.1.1\tlab1.pbx.example.com\tlab1') }],
    },
  },
  {
    name: 'no /etc/hostname yet: written, mode 0644',
    params: { name: 'lab1' },
    replay: lab1({ run: 'cat -- /etc/hostname', exitCode: 3 }),
    expect: {
      reason: '/etc/hostname (none) → lab1',
      steps: [{ kind: 'upload', path: '/etc/hostname', content: 'lab1\n', mode: '0644' }],
      diff: [{ path: '/etc/hostname', before: null, after: 'lab1\n' }],
    },
  },
  {
    name: 'no 127.0.1.1 line: one is added after 127.0.0.1, the rest kept',
    params: { name: 'lab1' },
    replay: lab1({ run: 'cat -- /etc/hosts', stdout: hosts.replace('127.0.1.1\tlab1\n', '') }),
    expect: { reason: '/etc/hosts 127.0.1.1 → lab1', steps: [{ kind: 'upload', path: '/etc/hosts', content: hosts }] },
  },
  {
    name: 'named on its own address already: /etc/hosts left alone',
    params: { name: 'lab1' },
    replay: lab1({ run: 'cat -- /etc/hosts', stdout: hosts.replace('127.0.1.1\tlab1\n', '10.250.0.11\tlab1\n') }),
    expect: { noop: 'host name is already lab1' },
  },
  {
    name: 'files already say it, the running system does not (edited by hand, no reboot): only hostname NAME',
    params: { name: 'lab1' },
    replay: lab1({ run: /^hostname$/, stdout: 'localhost\n' }),
    expect: { reason: 'running name localhost → lab1', steps: [{ kind: 'exec', cmd: 'hostname lab1' }], diff: null },
  },
  {
    name: 'a name with a dot is refused before any host',
    params: { name: 'lab1.example.com' },
    expect: { throws: /"name" must be one label/ },
  },
  {
    name: 'a bad domain is refused',
    params: { name: 'lab1', domain: 'ex ample.com' },
    expect: { throws: /"domain" must be dot-separated labels/ },
  },
]);
