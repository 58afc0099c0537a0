// mysqlExec on the lab's MariaDB 10.11: password login through a temporary option file, typed
// rows, and UCware's socket-auth step on lab2 (root on password auth + /root/.my.cnf) run
// twice — the second run changes nothing. lab2 is put back as it was afterwards.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { labOrSkip, run, sshOk, sshRoot } from '../fixtures/modules/labRun.ts';
import { mysqlExec } from '../../modules/index.ts';
import { secret } from '../../runner/model/shell.ts';

const lab = labOrSkip();
const H = 'lab2';

test('readOnly SQL with user/password: rows typed, NULL kept, no temp file left, password never shown', async () => {
  if (!lab) return;
  const pwFile = lab.hosts.find((h) => h.name === H)?.mysqlRootPasswordFile;
  if (!pwFile) return console.log('lab2 has no MariaDB root password file: skipped');
  const pw = readFileSync(pwFile, 'utf8').trim();
  const r = await run(
    lab,
    H,
    [
      mysqlExec(
        {
          sql: ["SELECT 'a\tb' AS t, NULL AS n, 'NULL' AS s", 'SELECT CURRENT_USER() AS who'],
          readOnly: true,
          login: { user: 'root', password: secret(pw) },
        },
        { id: 'q' },
      ),
    ],
    { check: true },
  );
  assert.is(r.exitCode, 0, r.out);
  const any = Object.values(r.results)[0] as
    { rows: unknown[]; resultSets: { rows: unknown[] }[]; server: { flavour: string } } | undefined;
  assert.equal(any!.resultSets[0]!.rows, [{ t: 'a\tb', n: null, s: 'NULL' }]);
  assert.equal(any!.rows, [{ who: 'root@localhost' }]);
  assert.is(any!.server.flavour, 'mariadb');
  assert.not.ok(r.out.includes(pw), 'password not printed');
  assert.not.ok(r.written.includes(pw), 'password in no log, event, journal or note');
  assert.is(sshOk(lab, H, 'ls /tmp | grep -c ucw-mysql || true').trim(), '0', 'temp option file removed');
});

test('socketAuthForRoot on lab2: changes once (ALTER USER, .my.cnf removed), then no change', async () => {
  if (!lab) return;
  const pwFile = lab.hosts.find((h) => h.name === H)?.mysqlRootPasswordFile;
  if (!pwFile) return console.log('lab2 has no MariaDB root password file: skipped');
  const pw = readFileSync(pwFile, 'utf8').trim();
  // lab2 as the lab makes it: root on password auth, and a /root/.my.cnf with that password
  const passwordState = () => {
    for (let i = 0; i < 60 && sshRoot(lab, H, 'echo "SELECT 1;" | mysql --no-defaults -u root || mysql -e "SELECT 1"').code !== 0; i++)
      spawnSync('sleep', ['1']);
    sshOk(
      lab,
      H,
      'mysql --no-defaults -u root 2>/dev/null || mysql',
      `ALTER USER root@localhost IDENTIFIED BY '${pw}';\nFLUSH PRIVILEGES;\n`,
    );
    sshOk(lab, H, 'umask 077; cat > /root/.my.cnf', `[client]\nuser=root\npassword=${pw}\n`);
  };
  passwordState();
  try {
    assert.match(sshOk(lab, H, 'mysql -N -e "SHOW CREATE USER root@localhost"'), /IDENTIFIED BY PASSWORD/);
    const task = mysqlExec({ socketAuthForRoot: true, removeMyCnfFor: ['root', 'ucware'] }, { become: true });
    const r0 = await run(lab, H, [task], { check: true });
    assert.is(r0.done[0]!.status, 'changed');
    assert.match(sshOk(lab, H, 'mysql -N -e "SHOW CREATE USER root@localhost"'), /IDENTIFIED BY PASSWORD/, 'check mode changed nothing');
    const r1 = await run(lab, H, [task], { diff: true });
    assert.is(r1.exitCode, 0, r1.out);
    assert.is(r1.done[0]!.status, 'changed');
    assert.is(r1.done[0]!.reason, 'ALTER USER root@localhost IDENTIFIED VIA unix_socket (MariaDB ≥ 10.4); remove /root/.my.cnf');
    assert.is(sshRoot(lab, H, 'test -e /root/.my.cnf').code, 1);
    assert.match(sshOk(lab, H, `mysql --no-defaults -u root -N -e "SHOW CREATE USER root@localhost"`), /IDENTIFIED VIA unix_socket/);
    assert.not.ok(r1.out.includes(pw), 'password never printed');
    assert.not.ok(r1.written.includes(pw), 'password in no log, event, journal or note');
    const r2 = await run(lab, H, [task]);
    assert.is(r2.exitCode, 0, r2.out);
    assert.is(r2.done[0]!.status, 'ok');
    assert.match(r2.done[0]!.reason, /root already authenticates by socket on mariadb \d+\.\d+/);
  } finally {
    passwordState();
  }
});

test.run();
