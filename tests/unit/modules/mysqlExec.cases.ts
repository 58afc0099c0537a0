// mysqlExec: MariaDB 10.11 on lab1 (root by socket, as Debian installs it) and lab2 (root by
// password, with /root/.my.cnf: the state before UCware's socket-auth step). MySQL 5.7 has no
// host here and no public capture was found: its cases stay in mysqlExec.test.ts, from parsed rows.
import { mysqlExec } from '../../../modules/mysqlExec.ts';
import { cases, override, type Replay } from '../../support/planCases.ts';

const mysql = (stdin: string, out: string): Replay => ({ run: 'mysql --xml', stdin, out: `bookworm/${out}` });
const info = mysql('SELECT VERSION()', 'mysql-server-info.xml');
const lab1: Replay[] = [
  info,
  mysql('INFORMATION_SCHEMA.PLUGINS', 'mysql-root-auth.xml'),
  mysql('SHOW CREATE USER', 'mysql-show-create-user.xml'),
  { run: 'getent passwd', out: 'bookworm/my-cnf.txt' },
];
// lab2 runs the same server package as lab1 (one lab image): lab1's server info stands for both
const lab2: Replay[] = override(
  lab1,
  mysql('INFORMATION_SCHEMA.PLUGINS', 'mysql-root-auth-password-root.xml'),
  mysql('SHOW CREATE USER', 'mysql-show-create-user-password-root.xml'),
  { run: 'getent passwd', out: 'bookworm/my-cnf-password-root.txt' },
);
const MARIA = 'mariadb 10.11.18-MariaDB-0+deb12u1';

export default cases(mysqlExec, [
  {
    name: 'lab1: root already by socket (… OR unix_socket), no .my.cnf',
    params: { socketAuthForRoot: true, removeMyCnfFor: ['root', 'ucware'] },
    replay: lab1,
    expect: { noop: `root already authenticates by socket on ${MARIA}; no .my.cnf left` },
  },
  {
    name: 'lab2: ALTER USER, then prove the socket login, then remove /root/.my.cnf',
    params: { socketAuthForRoot: true },
    replay: lab2,
    expect: {
      reason: 'ALTER USER root@localhost IDENTIFIED VIA unix_socket (MariaDB ≥ 10.4); remove /root/.my.cnf',
      steps: [
        { kind: 'exec', cmd: 'mysql --xml', stdin: 'ALTER USER root@localhost IDENTIFIED VIA unix_socket;\nFLUSH PRIVILEGES;\n' },
        { kind: 'exec', cmd: "echo 'SELECT 1;' | mysql --no-defaults --user=root >/dev/null" },
        { kind: 'exec', cmd: 'rm -f -- /root/.my.cnf' },
      ],
      diff: [{ path: '/root/.my.cnf', before: '(MySQL client option file)\n', after: null }],
    },
  },
  {
    name: 'lab2 through debian.cnf: the statements use the same login',
    params: { socketAuthForRoot: true, login: { defaultsFile: '/etc/mysql/debian.cnf' } },
    replay: lab2.map((r) => ({ ...r, run: r.run === 'mysql --xml' ? 'mysql --defaults-file=/etc/mysql/debian.cnf --xml' : r.run })),
    expect: {
      reason: /^ALTER USER/,
      steps: [
        { kind: 'exec', cmd: 'mysql --defaults-file=/etc/mysql/debian.cnf --xml', stdin: /^ALTER USER/ },
        { kind: 'exec', cmd: /--no-defaults/ },
        { kind: 'exec', cmd: 'rm -f -- /root/.my.cnf' },
      ],
    },
  },
  {
    name: 'SQL that changes: one client run, the SQL on stdin',
    params: { sql: "UPDATE ucware.settings SET value='5' WHERE name='schema'" },
    replay: [info],
    expect: {
      reason: `run SQL on ${MARIA}: UPDATE ucware.settings SET value='5' WHERE name='schema'; `,
      steps: [{ kind: 'exec', cmd: 'mysql --xml', stdin: "UPDATE ucware.settings SET value='5' WHERE name='schema';\n" }],
    },
  },
  {
    name: 'a password and a defaults file together are refused',
    params: { sql: 'SELECT 1', login: { password: 'x', defaultsFile: '/etc/mysql/debian.cnf' } },
    expect: { throws: /exclude each other/ },
  },
]);
