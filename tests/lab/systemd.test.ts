// systemd as PID 1 of every lab host: booted to `running`, the servers are real units, the daily
// apt jobs are installed but off, and a host cannot change the kernel it shares with the machine.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { status } from '../../lab/lab.ts';
import { ensureLab, ssh, sshOk } from '../../lab/testkit.ts';
import type { LabState } from '../../lab/state.ts';

let lab: LabState;
test.before(async () => {
  lab = await ensureLab(3);
});
const systemdHosts = () => lab.hosts.filter((h) => h.init === 'systemd');

test('every host boots systemd as PID 1 and reaches running with no failed unit; lab status says so', () => {
  assert.ok(
    systemdHosts().length >= 3,
    `systemd hosts: ${systemdHosts()
      .map((h) => h.name)
      .join(', ')}`,
  );
  const st = status();
  for (const h of systemdHosts()) {
    assert.is(sshOk(lab, h, 'cat /proc/1/comm'), 'systemd');
    // a host that just booted may still be starting; give it the time a loaded machine needs
    let state = '';
    for (let i = 0; i < 60 && state !== 'running'; i++) state = ssh(lab, h, 'systemctl is-system-running --wait').stdout.trim();
    assert.is(state, 'running', `${h.name}: ${sshOk(lab, h, 'systemctl --failed --no-legend; true')}`);
    assert.is(sshOk(lab, h, 'systemd-detect-virt; true'), 'container-other');
    const s = st.find((x) => x.name === h.name)!;
    assert.equal([s.init, s.pid1, s.system], ['systemd', 'systemd', 'running']);
  }
});

test('ssh, MariaDB, nginx and the UCware API stand-in are real units; apt-daily and unattended-upgrades are installed but disabled', () => {
  const h = systemdHosts().find((x) => !x.light)!;
  assert.is(
    sshOk(lab, h, 'systemctl is-active ssh mariadb nginx ucware-api lab-slow-stop').split('\n').join(' '),
    'active active active active active',
  );
  assert.match(
    sshOk(lab, h, 'systemctl show -p MainPID --value ucware-api | xargs -I{} cat /proc/{}/cmdline | tr "\\0" " "'),
    /ucware-api-standin\.ts/,
  );
  const enabled = sshOk(lab, h, 'systemctl is-enabled apt-daily.timer apt-daily-upgrade.timer unattended-upgrades.service; true').split(
    '\n',
  );
  assert.equal(enabled, ['disabled', 'disabled', 'disabled']);
  assert.match(sshOk(lab, h, "dpkg-query -W -f='${db:Status-Abbrev}' unattended-upgrades"), /^ii/);
  // SSH logins are logind sessions, as on a server
  assert.match(sshOk(lab, h, 'cat /proc/self/cgroup'), /session-\w+\.scope/);
});

test("the machine's kernel is shared: sysctl -w and date -s fail inside a host; its own net.* keys are writable", () => {
  const h = systemdHosts()[0]!;
  const before = readFileSync('/proc/sys/vm/swappiness', 'utf8');
  const sys = ssh(lab, h, `sysctl -w vm.swappiness=${Number(before) === 1 ? 2 : 1}`);
  assert.is.not(sys.code, 0);
  assert.match(sys.stderr, /permission denied|Read-only file system/i);
  assert.is(readFileSync('/proc/sys/vm/swappiness', 'utf8'), before);
  const date = ssh(lab, h, 'date -s "2001-01-01 00:00:00"');
  assert.is.not(date.code, 0);
  assert.match(date.stderr, /Operation not permitted/);
  assert.ok(new Date().getFullYear() > 2001);
  assert.match(sshOk(lab, h, 'grep ^CapBnd /proc/1/status'), /^CapBnd:\s+[0-9a-f]+$/);
  const bnd = BigInt('0x' + sshOk(lab, h, 'grep ^CapBnd /proc/1/status').split(/\s+/)[1]);
  for (const [name, bit] of [
    ['CAP_SYS_MODULE', 16n],
    ['CAP_SYS_TIME', 25n],
    ['CAP_SYS_RAWIO', 17n],
  ] as const)
    assert.is((bnd >> bit) & 1n, 0n, `${name} dropped`);
  assert.is(sshOk(lab, h, 'sysctl -w net.ipv4.tcp_keepalive_time=7200'), 'net.ipv4.tcp_keepalive_time = 7200');
});

test.run();
