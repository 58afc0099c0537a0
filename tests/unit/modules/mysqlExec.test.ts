// mysqlExec: the socket-auth decision table and SQL plans.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseServerInfo } from '../../../modules/facts/mysql.ts';
import { plan, socketAuthIn } from '../../../modules/mysqlExec.ts';

const maria = parseServerInfo({ version: '10.11.18-MariaDB', comment: 'Debian 12', user_table: 'VIEW' });
const mysql57 = parseServerInfo({ version: '5.7.42-0ubuntu0.18.04.1', comment: '(Ubuntu)', user_table: 'BASE TABLE' });
const maria101 = parseServerInfo({ version: '10.1.48-MariaDB-0ubuntu0.18.04.1', comment: 'Ubuntu 18.04', user_table: 'BASE TABLE' });
const root = (o: object) => ({
  accounts: [{ user: 'root', host: 'localhost', plugin: 'mysql_native_password' }],
  activePlugins: [],
  createUser: null,
  myCnf: [],
  ...o,
});
const stdinOf = (p: ReturnType<typeof plan>) => p.steps.map((s) => (s.kind === 'exec' ? (s.stdin ?? '') : '')).join('');

const cases = [
  {
    name: 'MariaDB ≥10.4 with password auth: ALTER USER, remove .my.cnf',
    server: maria,
    root: root({
      createUser: "CREATE USER `root`@`localhost` IDENTIFIED BY PASSWORD '*2DE0'",
      myCnf: [{ user: 'root', path: '/root/.my.cnf' }],
    }),
    changed: true,
    sql: 'ALTER USER root@localhost IDENTIFIED VIA unix_socket;\nFLUSH PRIVILEGES;\n',
    reason: /ALTER USER .*; remove \/root\/\.my\.cnf/,
  },
  {
    name: 'MariaDB default (… OR unix_socket): nothing to do',
    server: maria,
    root: root({ createUser: "CREATE USER `root`@`localhost` IDENTIFIED VIA mysql_native_password USING 'invalid' OR unix_socket" }),
    changed: false,
    sql: '',
    reason: /already authenticates by socket/,
  },
  {
    name: 'MariaDB socket ok but a .my.cnf is left: only the removal',
    server: maria,
    root: root({
      createUser: 'CREATE USER `root`@`localhost` IDENTIFIED VIA unix_socket',
      myCnf: [{ user: 'ucware', path: '/home/ucware/.my.cnf' }],
    }),
    changed: true,
    sql: '',
    reason: /^remove \/home\/ucware\/\.my\.cnf$/,
  },
  {
    name: 'MySQL 5.7, plugin missing: INSTALL, UPDATE, FLUSH',
    server: mysql57,
    root: root({}),
    changed: true,
    sql: "INSTALL PLUGIN auth_socket SONAME 'auth_socket.so';\nUPDATE mysql.user SET plugin='auth_socket' WHERE user='root';\nFLUSH PRIVILEGES;\n",
    reason: /INSTALL PLUGIN auth_socket; root@localhost: plugin mysql_native_password → auth_socket/,
  },
  {
    name: 'MySQL 5.7, plugin active and root on it: nothing',
    server: mysql57,
    root: root({ activePlugins: ['auth_socket'], accounts: [{ user: 'root', host: 'localhost', plugin: 'auth_socket' }] }),
    changed: false,
    sql: '',
    reason: /already/,
  },
  {
    name: 'MySQL 5.7, plugin active, root not yet: no INSTALL',
    server: mysql57,
    root: root({ activePlugins: ['auth_socket'] }),
    changed: true,
    sql: "UPDATE mysql.user SET plugin='auth_socket' WHERE user='root';\nFLUSH PRIVILEGES;\n",
    reason: /plugin mysql_native_password → auth_socket/,
  },
  {
    name: 'MariaDB 10.1 (table): unix_socket from auth_socket',
    server: maria101,
    root: root({ activePlugins: [] }),
    changed: true,
    sql: "INSTALL PLUGIN unix_socket SONAME 'auth_socket';\nUPDATE mysql.user SET plugin='unix_socket' WHERE user='root';\nFLUSH PRIVILEGES;\n",
    reason: /unix_socket/,
  },
];
for (const c of cases) {
  test(`socketAuthForRoot: ${c.name}`, () => {
    const p = plan({ socketAuthForRoot: true }, { server: c.server, root: c.root });
    assert.is(p.changed, c.changed);
    assert.is(stdinOf(p), c.sql);
    assert.match(p.reason, c.reason);
  });
}
test('socketAuthForRoot: .my.cnf removal is preceded by a socket login check, and the diff hides the content', () => {
  const p = plan(
    { socketAuthForRoot: true },
    { server: maria, root: root({ createUser: 'IDENTIFIED VIA unix_socket', myCnf: [{ user: 'root', path: '/root/.my.cnf' }] }) },
  );
  assert.equal(
    p.steps.map((s) => (s.kind === 'exec' ? s.cmd : s.kind)),
    ["echo 'SELECT 1;' | mysql --no-defaults --user=root >/dev/null", 'rm -f -- /root/.my.cnf'],
  );
  assert.equal(p.diff, [{ path: '/root/.my.cnf', before: '(MySQL client option file)\n', after: null }]);
  assert.ok(socketAuthIn('CREATE USER `root`@`localhost` IDENTIFIED WITH auth_socket'));
  assert.not.ok(socketAuthIn("IDENTIFIED BY PASSWORD '*ABC'"));
});
test('sql: readOnly is a no-op with rows; other SQL is a change', () => {
  const rows = [{ n: '1' }];
  assert.equal(
    plan({ sql: 'SELECT 1 AS n', readOnly: true }, { server: maria, sets: [{ statement: 'SELECT 1 AS n', rows }] }).result!.rows,
    rows,
  );
  assert.is(plan({ sql: 'DELETE FROM t' }, { server: maria }).changed, true);
});

test.run();
