// systemd: `systemctl show` of units on a real systemd 252 (bookworm; see captured/bookworm/systemd/CAPTURED.md).
import { systemd } from '../../../modules/systemd.ts';
import { cases, type Replay } from '../../support/planCases.ts';

const show = (unit: string, file: string): Replay[] => [{ run: `systemctl show ${unit} --no-pager -p`, out: `bookworm/systemd/${file}` }];
const x = (cmd: string) => ({ kind: 'exec' as const, cmd });

export default cases(systemd, [
  {
    name: 'running and enabled: nothing to do',
    params: { name: 'ssh', state: 'started', enabled: true },
    replay: show('ssh.service', 'show-ssh.service.txt'),
    expect: { noop: 'ssh.service is active/running, enabled' },
  },
  {
    name: 'failed unit: start',
    params: { name: 'mariadb', state: 'started' },
    replay: show('mariadb.service', 'show-mariadb.service.txt'),
    expect: {
      reason: 'mariadb.service: start (was failed)',
      steps: [x('systemctl start mariadb.service')],
      diff: [{ path: '(unit mariadb.service)', before: 'failed enabled\n', after: 'active enabled\n' }],
    },
  },
  {
    name: 'stop a running unit and disable it',
    params: { name: 'nginx', state: 'stopped', enabled: false },
    replay: show('nginx.service', 'show-nginx.service.txt'),
    expect: { reason: 'nginx.service: disable, stop', steps: [x('systemctl disable nginx.service'), x('systemctl stop nginx.service')] },
  },
  {
    name: 'stopped already',
    params: { name: 'mariadb', state: 'stopped' },
    replay: show('mariadb.service', 'show-mariadb.service.txt'),
    expect: { noop: 'mariadb.service is failed/failed, enabled' },
  },
  {
    name: 'reloaded: reload when the unit can',
    params: { name: 'nginx', state: 'reloaded' },
    replay: show('nginx.service', 'show-nginx.service.txt'),
    expect: { reason: 'nginx.service: reload', steps: [x('systemctl reload nginx.service')] },
  },
  {
    name: 'reloaded: restart when it cannot',
    params: { name: 'lab-slow-stop', state: 'reloaded' },
    replay: show('lab-slow-stop.service', 'show-lab-slow-stop.service.txt'),
    expect: { reason: 'lab-slow-stop.service: restart (the unit cannot reload)', steps: [x('systemctl restart lab-slow-stop.service')] },
  },
  {
    name: 'restarted always acts',
    params: { name: 'ssh', state: 'restarted' },
    replay: show('ssh.service', 'show-ssh.service.txt'),
    expect: { reason: 'ssh.service: restart', steps: [x('systemctl restart ssh.service')] },
  },
  {
    name: 'static unit: enabled means nothing to do, said so',
    params: { name: 'systemd-journald', enabled: true },
    replay: show('systemd-journald.service', 'show-systemd-journald.service.txt'),
    expect: { noop: 'systemd-journald.service is active/running, static; static (no [Install]: started by others, nothing to enable)' },
  },
  {
    name: 'masked: starting it is refused',
    params: { name: 'console-getty', state: 'started' },
    replay: show('console-getty.service', 'show-console-getty.service.txt'),
    expect: { throws: /console-getty\.service is masked; unmask it/ },
  },
  {
    name: 'unmask and start',
    params: { name: 'console-getty', masked: false, state: 'started' },
    replay: show('console-getty.service', 'show-console-getty.service.txt'),
    expect: {
      reason: 'console-getty.service: unmask, start (was inactive)',
      steps: [x('systemctl unmask console-getty.service'), x('systemctl start console-getty.service')],
    },
  },
  {
    name: 'mask a running unit and stop it',
    params: { name: 'nginx', masked: true, state: 'stopped' },
    replay: show('nginx.service', 'show-nginx.service.txt'),
    expect: { reason: 'nginx.service: mask, stop', steps: [x('systemctl mask nginx.service'), x('systemctl stop nginx.service')] },
  },
  {
    name: 'unit files changed: daemon-reload first',
    params: { name: 'ssh', state: 'started' },
    replay: [
      {
        run: 'systemctl show ssh.service',
        stdout:
          'Id=ssh.service\nLoadState=loaded\nActiveState=active\nSubState=running\nFragmentPath=/lib/systemd/system/ssh.service\nUnitFileState=enabled\nCanReload=yes\nNeedDaemonReload=yes\n',
      },
    ],
    expect: { reason: 'ssh.service: unit files changed: daemon-reload', steps: [x('systemctl daemon-reload')] },
  },
  {
    name: 'unknown unit: planned as a failing step (under --check an earlier task may install it)',
    params: { name: 'nosuch', state: 'started' },
    replay: show('nosuch.service', 'show-nosuch.service.txt'),
    expect: {
      reason: 'nosuch.service: not found now (LoadState=not-found): an earlier task must install it',
      steps: [x("echo 'systemd: unit nosuch.service not found (LoadState=not-found)' >&2; exit 67")],
    },
  },
  {
    name: 'unknown unit to stop: nothing to do',
    params: { name: 'nosuch', state: 'stopped' },
    replay: show('nosuch.service', 'show-nosuch.service.txt'),
    expect: { noop: 'nosuch.service is inactive/dead, not-found' },
  },
  {
    name: 'activating counts as up: started is a no-op',
    params: { name: 'apt-daily-upgrade', state: 'started' },
    replay: show('apt-daily-upgrade.service', 'show-apt-daily-upgrade.service.txt'),
    expect: { noop: 'apt-daily-upgrade.service is activating/start, static' },
  },
  {
    name: 'masked and enabled contradict',
    params: { name: 'x', masked: true, enabled: true },
    expect: { throws: /masked unit can be neither/ },
  },
]);
