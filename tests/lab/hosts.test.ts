// The lab's hosts: SSH with the lab key and strict host keys, users, sudo, MariaDB, network isolation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ensureLab, host, ssh, sshOk } from '../../lab/testkit.ts';
import { readLab, type LabState } from '../../lab/state.ts';
import { reset } from '../../lab/lab.ts';

let lab: LabState;
test.before(async () => {
  lab = await ensureLab(3);
  // other test files upgrade hosts or change MariaDB auth: start lab1/lab2 fresh when they are not
  const pristine = (name: string, check: string) => ssh(lab, host(lab, name), check).stdout.trim() === 'fresh';
  const base =
    "[ \"$(dpkg-query -W -f='${Version}${db:Status-Abbrev}' ucware-core)\" = '4.5.0.9ii ' ] && grep -q ucware-4.5 /etc/apt/sources.list.d/ucware.list";
  const dirty = [
    pristine('lab1', `${base} && mysql --no-defaults -u root -e 'select 1' >/dev/null 2>&1 && echo fresh`) ? [] : ['lab1'],
    pristine('lab2', `${base} && grep -q '^password' /etc/mysql/debian.cnf && test -f /root/.my.cnf && echo fresh`) ? [] : ['lab2'],
  ].flat();
  if (dirty.length) {
    await reset(dirty);
    lab = readLab();
  }
});

test('lab.json describes 3 hosts lab1..lab3 at .11..13 of the lab subnet (10.250.0.0/16 for instance 0)', () => {
  const prefix = lab.network.replace(/\.0\.0\/16$/, '');
  assert.is(lab.network, `10.${250 - lab.instance}.0.0/16`);
  assert.equal(
    lab.hosts.slice(0, 3).map((h) => [h.name, h.address]),
    [1, 2, 3].map((i) => [`lab${i}`, `${prefix}.0.${10 + i}`]),
  );
  assert.is(lab.controllerAddress, `${prefix}.0.1`);
});

test('every host answers ssh as root with the lab key and its own host key (strict checking)', () => {
  const keys = new Set<string>();
  for (const h of lab.hosts) {
    assert.is(sshOk(lab, h, 'hostname'), h.name);
    keys.add(sshOk(lab, h, 'cat /etc/ssh/ssh_host_ed25519_key.pub').split(' ')[1]);
  }
  assert.is(keys.size, lab.hosts.length, 'host keys are per host');
  const kh = readFileSync(lab.knownHostsFile, 'utf8');
  for (const h of lab.hosts) assert.match(kh, new RegExp(`^${h.address.replace(/\./g, '\\.')},${h.name} ssh-ed25519 `, 'm'));
});

test('user ucware logs in by key; sudo requires its password', () => {
  const h = host(lab, 'lab1');
  assert.is(sshOk(lab, h, 'id -un', { user: 'ucware' }), 'ucware');
  const noPw = ssh(lab, h, 'sudo -n true', { user: 'ucware' });
  assert.is.not(noPw.code, 0);
  assert.match(noPw.stderr, /password is required/);
  const pw = readFileSync(lab.ucwarePasswordFile, 'utf8').trim();
  assert.is(sshOk(lab, h, "sudo -S -p '' id -u", { user: 'ucware', input: pw + '\n' }), '0');
  const wrong = ssh(lab, h, "sudo -S -p '' id -u", { user: 'ucware', input: 'wrong\nwrong\nwrong\n' });
  assert.is.not(wrong.code, 0);
});

test('hosts have no default route and cannot reach beyond the lab; the controller has the unreachable safety route', () => {
  const h = host(lab, 'lab1');
  assert.not.match(sshOk(lab, h, 'ip route'), /default/);
  assert.is.not(ssh(lab, h, 'ip route get 1.1.1.1').code, 0);
  const r = ssh(lab, h, 'curl -sS -m 2 http://deb.debian.org/ -o /dev/null');
  assert.is.not(r.code, 0);
  assert.ok(execFileSync('ip', ['route', 'show', 'type', 'unreachable'], { encoding: 'utf8' }).includes(`${lab.network} metric 4000`));
});

test('MariaDB: debian.cnf works, ucware database is seeded; lab1 root uses socket auth, lab2 password auth', () => {
  const [l1, l2] = [host(lab, 'lab1'), host(lab, 'lab2')];
  assert.is(sshOk(lab, l1, 'mysql --defaults-file=/etc/mysql/debian.cnf -Nse "select count(*) from ucware.users"'), '7');
  assert.is(sshOk(lab, l1, 'mysql --no-defaults -u root -Nse "select current_user()"'), 'root@localhost', 'root via unix socket');
  assert.ok(ssh(lab, l1, 'test -e /root/.my.cnf').code !== 0);
  // lab2: root has a password; debian.cnf and /root/.my.cnf carry it
  const pw = readFileSync(l2.mysqlRootPasswordFile!, 'utf8').trim();
  assert.match(sshOk(lab, l2, 'cat /etc/mysql/debian.cnf'), new RegExp(`password\\s*=\\s*${pw}`));
  assert.match(sshOk(lab, l2, 'cat /root/.my.cnf'), new RegExp(`password=${pw}`));
  assert.is(sshOk(lab, l2, 'mysql --defaults-file=/etc/mysql/debian.cnf -Nse "select count(*) from ucware.extensions"'), '6');
  const noPw = ssh(lab, l2, 'mysql --no-defaults -u root -Nse "select 1"');
  assert.is.not(noPw.code, 0, 'socket auth must fail on lab2 until the playbook changes it');
  assert.match(noPw.stderr, /Access denied/);
  assert.is(sshOk(lab, l2, 'mysql -Nse "select name from ucware.users where id=2"'), 'Max Müller');
});

test('OS facts: the Debian suite of the host, UCware 4.5.0.9 installed, ucware.list has the two lines of the real procedure', () => {
  const h = host(lab, 'lab1');
  assert.is(sshOk(lab, h, '. /etc/os-release; echo $ID $VERSION_CODENAME'), `debian ${h.suite}`);
  assert.is(sshOk(lab, h, "dpkg-query -W -f='${Version} ' ucware ucware-core"), '4.5.0.9 4.5.0.9');
  assert.equal(sshOk(lab, h, 'cat /etc/apt/sources.list.d/ucware.list').split('\n'), [
    `deb [trusted=yes] ${lab.repoUrl}/ucware-4.5 bionic main`,
    `deb [trusted=yes] ${lab.repoUrl}/ucware-firmware bionic main`,
  ]);
  assert.is(lab.repoUrl, `http://${lab.controllerAddress}:${8080 + lab.instance}/ubuntu`);
});

test.run();
