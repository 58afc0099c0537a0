// mysqlExec on the lab's MariaDB 10.11: password login through a temporary option file, typed
// rows, and UCware's socket-auth step on lab2 (root on password auth + /root/.my.cnf) run
// twice — the second run changes nothing. lab2 is put back as it was afterwards.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { labOrSkip, run, sshOk, sshRoot } from '../fixtures/modules/labRun.ts';
import { mysqlExec } from '../../modules/index.ts';
import { secret } from '../../runner/shell.ts';

const lab = labOrSkip();
const H = 'lab2';

test('readOnly SQL with user/password: rows typed, NULL kept, no temp file left, password never shown', async () => {
  if (!lab) return;
  const pwFile = lab.hosts.find((h) => h.name === H)?.mysqlRootPasswordFile;
  if (!pwFile) return console.log('lab2 has no MariaDB root password file: skipped');
  const pw = readFileSync(pwFile, 'utf8').trim();
  const r = await run(lab, H, [
    mysqlExec({ sql: ["SELECT 'a\tb' AS t, NULL AS n, 'NULL' AS s", 'SELECT CURRENT_USER() AS who'], readOnly: true, login: { user: 'root', password: secret(pw) } }, { id: 'q' }),
  ], { check: true });
  assert.is(r.exitCode, 0, r.out);
  const any = Object.values(r.results)[0] as { rows: unknown[]; resultSets: { rows: unknown[] }[]; server: { flavour: string } } | undefined;
  assert.equal(any!.resultSets[0]!.rows, [{ t: 'a\tb', n: null, s: 'NULL' }]);
  assert.equal(any!.rows, [{ who: 'root@localhost' }]);
  assert.is(any!.server.flavour, 'mariadb');
  assert.not.ok(r.out.includes(pw), 'password not printed');
  assert.is(sshOk(lab, H, 'ls /tmp | grep -c ucw-mysql || true').trim(), '0', 'temp option file removed');
});

test('socketAuthForRoot on lab2: changes once (ALTER USER, .my.cnf removed), then no change', async () => {
  if (!lab) return;
  const createUser = sshOk(lab, H, `mysql -N -e "SHOW CREATE USER root@localhost"`).trim();
  const myCnf = sshRoot(lab, H, 'cat /root/.my.cnf').stdout;
  try {
    const task = mysqlExec({ socketAuthForRoot: true, removeMyCnfFor: ['root', 'ucware'] }, { become: true });
    const r1 = await run(lab, H, [task], { diff: true });
    assert.is(r1.exitCode, 0, r1.out);
    assert.is(r1.done[0]!.status, myCnf ? 'changed' : 'ok');
    if (/IDENTIFIED BY PASSWORD/.test(createUser)) assert.match(r1.done[0]!.reason, /ALTER USER root@localhost IDENTIFIED VIA unix_socket/);
    if (myCnf) assert.match(r1.done[0]!.reason, /remove \/root\/\.my\.cnf/);
    assert.is(sshRoot(lab, H, 'test -e /root/.my.cnf').code, 1);
    assert.match(sshOk(lab, H, `mysql --no-defaults -u root -N -e "SHOW CREATE USER root@localhost"`), /unix_socket/);
    const r2 = await run(lab, H, [task]);
    assert.is(r2.exitCode, 0, r2.out);
    assert.is(r2.done[0]!.status, 'ok');
    assert.match(r2.done[0]!.reason, /root already authenticates by socket on mariadb 10\.11/);
  } finally {
    // the lab is shared: if someone rebooted lab2 meanwhile, wait for MariaDB to be back
    for (let i = 0; i < 60 && sshRoot(lab, H, 'echo "SELECT 1;" | mysql --no-defaults -u root || mysql -e "SELECT 1"').code !== 0; i++) await new Promise((r) => setTimeout(r, 1000));
    if (/IDENTIFIED BY PASSWORD/.test(createUser)) sshOk(lab, H, 'mysql --no-defaults -u root', createUser.replace(/^CREATE USER/, 'ALTER USER') + ';\nFLUSH PRIVILEGES;\n');
    if (myCnf) sshOk(lab, H, 'umask 077; cat > /root/.my.cnf', myCnf);
  }
});

test.run();
