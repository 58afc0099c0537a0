// mysql facts: the client line (no password in argv), XML parsing, server info.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { mysqlCommand, parseMysqlXml, parseServerInfo, joinSql, optionFileValue } from '../../../../modules/facts/mysql.ts';
import { mysqlExec } from '../../../../modules/mysqlExec.ts';
import { secret } from '../../../../runner/model/shell.ts';

const xml = readFileSync(new URL('../../../fixtures/modules/mysql-xml.txt', import.meta.url), 'utf8');

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
  assert.is(
    mysqlCommand({ defaultsFile: '/etc/mysql/debian.cnf' }, { database: 'ucware' }).cmd,
    'mysql --defaults-file=/etc/mysql/debian.cnf --xml --database=ucware',
  );
  assert.is(optionFileValue("it's"), '"it\'s"');
  assert.is(optionFileValue('a\\b'), "'a\\\\b'");
  assert.throws(() => optionFileValue(`'"`), /both kinds/);
  assert.throws(() => mysqlExec({ sql: 'x', login: { password: secret('a'), defaultsFile: '/x' } }), /exclude each other/);
  assert.throws(() => mysqlExec({}), /exactly one/);
});

test('server info and SQL joining', () => {
  assert.equal(parseServerInfo({ version: '10.11.18-MariaDB-0+deb12u1', comment: 'Debian 12', user_table: 'VIEW' }), {
    flavour: 'mariadb',
    version: '10.11.18-MariaDB-0+deb12u1',
    comment: 'Debian 12',
    userTableIsView: true,
  });
  assert.is(parseServerInfo({ version: '5.7.42-0ubuntu0.18.04.1', comment: '(Ubuntu)', user_table: 'BASE TABLE' }).flavour, 'mysql');
  assert.is(joinSql(['SELECT 1;', ' SELECT 2 ', '']), 'SELECT 1;\nSELECT 2;\n');
});

test.run();
