// mysqlExec: the client line (no password in argv), XML parsing, and the socket-auth decision table.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { mysqlCommand, parseMysqlXml, parseServerInfo, joinSql, optionFileValue } from '../../modules/facts/mysql.ts';
import { plan, mysqlExec, socketAuthIn } from '../../modules/mysqlExec.ts';
import { secret } from '../../runner/model/shell.ts';

const xml = readFileSync(new URL('../fixtures/modules/mysql-xml.txt', import.meta.url), 'utf8');

test('xml: several result sets, NULL vs "NULL", entities, tabs and newlines kept', () => {
  const sets = parseMysqlXml(xml);
  assert.is(sets.length, 2);
  assert.equal(sets[0]!.rows, [{ a: '1', b: null, c: 'x<y&"', d: 'NULL', e: 'tab\there\nnewline' }]);
  assert.is(sets[0]!.statement, 'select 1 as a, NULL as b, "x<y&\\"" as c');
  assert.equal(sets[1]!.rows, []);
});

test('login: password goes on stdin into a 600 temp option file, never argv', () => {
  const { cmd, stdinPrefix } = mysqlCommand({ user: 'root', password: secret('plain$pw') });
  assert.not.ok(cmd.includes('plain$pw'));
  assert.match(cmd, /umask 077; f=\$\(mktemp \/tmp\/ucw-mysql\.XXXXXX\)/);
  assert.match(cmd, /trap 'rm -f "\$f"' EXIT/);
  assert.match(cmd, /mysql --defaults-extra-file="\$f" --user=root --xml$/);
  assert.is(stdinPrefix, "[client]\npassword='plain$pw'\n");
  assert.is(mysqlCommand({ defaultsFile: '/etc/mysql/debian.cnf' }, { database: 'ucware' }).cmd, 'mysql --defaults-file=/etc/mysql/debian.cnf --xml --database=ucware');
  assert.is(optionFileValue("it's"), '"it\'s"');
  assert.is(optionFileValue('a\\b'), "'a\\\\b'");
  assert.throws(() => optionFileValue(`'"`), /both kinds/);
  assert.throws(() => mysqlExec({ sql: 'x', login: { password: secret('a') , defaultsFile: '/x' } }), /exclude each other/);
  assert.throws(() => mysqlExec({}), /exactly one/);
});

test('server info and SQL joining', () => {
  assert.equal(parseServerInfo({ version: '10.11.18-MariaDB-0+deb12u1', comment: 'Debian 12', user_table: 'VIEW' }), { flavour: 'mariadb', version: '10.11.18-MariaDB-0+deb12u1', comment: 'Debian 12', userTableIsView: true });
  assert.is(parseServerInfo({ version: '5.7.42-0ubuntu0.18.04.1', comment: '(Ubuntu)', user_table: 'BASE TABLE' }).flavour, 'mysql');
  assert.is(joinSql(['SELECT 1;', ' SELECT 2 ', '']), 'SELECT 1;\nSELECT 2;\n');
});

const maria = parseServerInfo({ version: '10.11.18-MariaDB', comment: 'Debian 12', user_table: 'VIEW' });
const mysql57 = parseServerInfo({ version: '5.7.42-0ubuntu0.18.04.1', comment: '(Ubuntu)', user_table: 'BASE TABLE' });
const maria101 = parseServerInfo({ version: '10.1.48-MariaDB-0ubuntu0.18.04.1', comment: 'Ubuntu 18.04', user_table: 'BASE TABLE' });
const root = (o: object) => ({ accounts: [{ user: 'root', host: 'localhost', plugin: 'mysql_native_password' }], activePlugins: [], createUser: null, myCnf: [], ...o });
const stdinOf = (p: ReturnType<typeof plan>) => p.steps.map((s) => (s.kind === 'exec' ? s.stdin ?? '' : '')).join('');

const cases = [
  { name: 'MariaDB ≥10.4 with password auth: ALTER USER, remove .my.cnf', server: maria,
    root: root({ createUser: "CREATE USER `root`@`localhost` IDENTIFIED BY PASSWORD '*2DE0'", myCnf: [{ user: 'root', path: '/root/.my.cnf' }] }),
    changed: true, sql: 'ALTER USER root@localhost IDENTIFIED VIA unix_socket;\nFLUSH PRIVILEGES;\n', reason: /ALTER USER .*; remove \/root\/\.my\.cnf/ },
  { name: 'MariaDB default (… OR unix_socket): nothing to do', server: maria,
    root: root({ createUser: "CREATE USER `root`@`localhost` IDENTIFIED VIA mysql_native_password USING 'invalid' OR unix_socket" }), changed: false, sql: '', reason: /already authenticates by socket/ },
  { name: 'MariaDB socket ok but a .my.cnf is left: only the removal', server: maria,
    root: root({ createUser: 'CREATE USER `root`@`localhost` IDENTIFIED VIA unix_socket', myCnf: [{ user: 'ucware', path: '/home/ucware/.my.cnf' }] }), changed: true, sql: '', reason: /^remove \/home\/ucware\/\.my\.cnf$/ },
  { name: 'MySQL 5.7, plugin missing: INSTALL, UPDATE, FLUSH', server: mysql57, root: root({}), changed: true,
    sql: "INSTALL PLUGIN auth_socket SONAME 'auth_socket.so';\nUPDATE mysql.user SET plugin='auth_socket' WHERE user='root';\nFLUSH PRIVILEGES;\n", reason: /INSTALL PLUGIN auth_socket; root@localhost: plugin mysql_native_password → auth_socket/ },
  { name: 'MySQL 5.7, plugin active and root on it: nothing', server: mysql57, root: root({ activePlugins: ['auth_socket'], accounts: [{ user: 'root', host: 'localhost', plugin: 'auth_socket' }] }), changed: false, sql: '', reason: /already/ },
  { name: 'MySQL 5.7, plugin active, root not yet: no INSTALL', server: mysql57, root: root({ activePlugins: ['auth_socket'] }), changed: true,
    sql: "UPDATE mysql.user SET plugin='auth_socket' WHERE user='root';\nFLUSH PRIVILEGES;\n", reason: /plugin mysql_native_password → auth_socket/ },
  { name: 'MariaDB 10.1 (table): unix_socket from auth_socket', server: maria101, root: root({ activePlugins: [] }), changed: true,
    sql: "INSTALL PLUGIN unix_socket SONAME 'auth_socket';\nUPDATE mysql.user SET plugin='unix_socket' WHERE user='root';\nFLUSH PRIVILEGES;\n", reason: /unix_socket/ },
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
  const p = plan({ socketAuthForRoot: true }, { server: maria, root: root({ createUser: 'IDENTIFIED VIA unix_socket', myCnf: [{ user: 'root', path: '/root/.my.cnf' }] }) });
  assert.equal(p.steps.map((s) => (s.kind === 'exec' ? s.cmd : s.kind)), ["echo 'SELECT 1;' | mysql --no-defaults --user=root >/dev/null", 'rm -f -- /root/.my.cnf']);
  assert.equal(p.diff, [{ path: '/root/.my.cnf', before: '(MySQL client option file)\n', after: null }]);
  assert.ok(socketAuthIn('CREATE USER `root`@`localhost` IDENTIFIED WITH auth_socket'));
  assert.not.ok(socketAuthIn("IDENTIFIED BY PASSWORD '*ABC'"));
});
test('sql: readOnly is a no-op with rows; other SQL is a change', () => {
  const rows = [{ n: '1' }];
  assert.equal(plan({ sql: 'SELECT 1 AS n', readOnly: true }, { server: maria, sets: [{ statement: 'SELECT 1 AS n', rows }] }).result!.rows, rows);
  assert.is(plan({ sql: 'DELETE FROM t' }, { server: maria }).changed, true);
});

test.run();
