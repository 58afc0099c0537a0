/**
 * Run SQL through the `mysql` client on the host — SQL on stdin, never in argv — and get the
 * rows back as objects; or, with `socketAuthForRoot`, do UCware's "root reaches MySQL without
 * a password" step idempotently on whatever server is there:
 * - MySQL 5.7/8: `INSTALL PLUGIN auth_socket` only when INFORMATION_SCHEMA.PLUGINS lacks it,
 *   `UPDATE mysql.user SET plugin='auth_socket' WHERE user='root'`, `FLUSH PRIVILEGES`;
 * - MariaDB < 10.4 (mysql.user a table): the same with plugin `unix_socket`;
 * - MariaDB ≥ 10.4 (mysql.user a view): `ALTER USER root@localhost IDENTIFIED VIA unix_socket`;
 * then checks that unix root gets in by socket with no option file at all, and only then
 * removes the `.my.cnf` of root (and of `removeMyCnfFor`), naming each file removed.
 * No change when root already authenticates by socket and no `.my.cnf` is left.
 *
 * Logging in: `login.defaultsFile` (e.g. /etc/mysql/debian.cnf), a socket, or user/password
 * (the password goes on stdin into a mode-600 temporary option file). Unset: the client's
 * defaults — as unix root that is `/root/.my.cnf` when present, else socket auth.
 * `changed`: `readOnly` SQL never changes (and runs in check mode too); other SQL reports
 * changed unless a `changedWhen` on the task says otherwise. Check mode: full for
 * `readOnly` and `socketAuthForRoot`; other SQL is reported, not run.
 *
 * @example
 * mysqlExec({ socketAuthForRoot: true, removeMyCnfFor: ['root', 'ucware'] }, { become: true })
 * mysqlExec({ sql: 'SELECT id, name FROM ucware.users WHERE active = 1', readOnly: true, login: { defaultsFile: '/etc/mysql/debian.cnf' } }, { id: 'users', become: true })
 * mysqlExec({ sql: ["UPDATE ucware.settings SET value='5' WHERE name='schema'"] }, { become: true, changedWhen: (o) => o.result?.rows.length !== 0 })
 */
import {
  defineModule,
  change,
  noop,
  exec,
  type ExecResult,
  type Plan,
  type Step,
  type FileDiff,
  ParamError,
  sh,
  registerSecret,
  Secret,
  type ModuleContext,
} from '../runner/module.ts';
import {
  joinSql,
  mysqlCommand,
  optionFileValue,
  parseMysqlXml,
  parseServerInfo,
  SERVER_INFO_SQL,
  type MysqlLogin,
  type ResultSet,
  type Row,
  type ServerInfo,
} from './facts/mysql.ts';

export type { MysqlLogin, Row, ServerInfo, ResultSet };

export interface MysqlExecParams {
  /** One SQL text or several statements (each gets its `;`). Exactly one of `sql` / `socketAuthForRoot`. */
  sql?: string | string[];
  /** How the client logs in. @default the client's defaults (see above) */
  login?: MysqlLogin;
  /** Default database for `sql`. */
  database?: string;
  /** The SQL only reads: it also runs in check mode, and never reports changed. @default false */
  readOnly?: boolean;
  /** Make root authenticate by unix socket (UCware update step 1) and remove the `.my.cnf` files. */
  socketAuthForRoot?: boolean;
  /** With `socketAuthForRoot`: users whose `~/.my.cnf` is removed. @default ['root'] */
  removeMyCnfFor?: string[];
}

export interface MysqlExecResult {
  /** Which server answered. */
  server: ServerInfo;
  /** Rows of the last statement that returned rows. */
  rows: Row[];
  /** Every statement that returned rows, in order. */
  resultSets: ResultSet[];
  /** socketAuthForRoot: what was (or would be) done, one line each. */
  actions?: string[];
}

interface RootAuth {
  /** plugin of each root account (MySQL / MariaDB < 10.4). */
  accounts: { user: string; host: string; plugin: string }[];
  /** ACTIVE auth plugins among auth_socket / unix_socket. */
  activePlugins: string[];
  /** `SHOW CREATE USER root@localhost` (MariaDB ≥ 10.4), or null when there is no such account. */
  createUser: string | null;
  /** ~/.my.cnf files that exist, by user. */
  myCnf: { user: string; path: string }[];
}

interface Facts {
  server: ServerInfo;
  /** readOnly SQL: its result sets. */
  sets?: ResultSet[];
  root?: RootAuth;
}

async function query(
  ctx: ModuleContext,
  p: MysqlExecParams,
  sql: string,
  o: { database?: string; noDefaults?: boolean } = {},
): Promise<ResultSet[]> {
  const { cmd, stdinPrefix } = mysqlCommand(p.login, o);
  const r = await ctx.run(cmd, { stdin: stdinPrefix + sql, quiet: true });
  return parseMysqlXml(r.stdout);
}

export const mysqlExec = defineModule<MysqlExecParams, Facts, MysqlExecResult>({
  name: 'mysqlExec',
  summary: (p) =>
    p.socketAuthForRoot
      ? 'root by unix socket'
      : joinSql(p.sql ?? '')
          .replace(/\s+/g, ' ')
          .slice(0, 60),
  validate: (p) => {
    if ((p.sql === undefined) === !p.socketAuthForRoot)
      throw new ParamError('mysqlExec: give exactly one of "sql" or "socketAuthForRoot: true"');
    if (p.sql !== undefined && joinSql(p.sql) === '') throw new ParamError('mysqlExec: "sql" is empty');
    const l = p.login ?? {};
    if (l.password !== undefined && l.defaultsFile)
      throw new ParamError('mysqlExec: login.password and login.defaultsFile exclude each other');
    if (l.password !== undefined) {
      try {
        optionFileValue(l.password instanceof Secret ? l.password.reveal() : l.password);
      } catch (e) {
        throw new ParamError(`mysqlExec: ${(e as Error).message}`);
      }
    }
    for (const u of p.removeMyCnfFor ?? [])
      if (!/^[a-z_][a-z0-9_.-]*$/i.test(u)) throw new ParamError(`mysqlExec: ${JSON.stringify(u)} is not a user name`);
  },
  facts: async (ctx, p) => {
    const pw = p.login?.password;
    registerSecret(pw instanceof Secret ? pw.reveal() : pw);
    if (p.sql !== undefined && p.readOnly) {
      const sets = await query(ctx, p, SERVER_INFO_SQL + joinSql(p.sql), { database: p.database });
      return { server: parseServerInfo(sets[0]?.rows[0]), sets: sets.slice(1) };
    }
    const info = await query(ctx, p, SERVER_INFO_SQL);
    const server = parseServerInfo(info[0]?.rows[0]);
    if (!p.socketAuthForRoot) return { server };
    const sets = await query(
      ctx,
      p,
      "SELECT PLUGIN_NAME AS name FROM INFORMATION_SCHEMA.PLUGINS WHERE PLUGIN_NAME IN ('auth_socket','unix_socket') AND PLUGIN_STATUS='ACTIVE';\n" +
        "SELECT user, host, plugin FROM mysql.user WHERE user='root';\n",
    );
    const plugins = sets.find((s) => /INFORMATION_SCHEMA\.PLUGINS/i.test(s.statement))?.rows ?? [];
    const accounts = (sets.find((s) => /FROM mysql\.user/i.test(s.statement))?.rows ?? []).map((r) => ({
      user: r.user ?? r.User ?? '',
      host: r.host ?? r.Host ?? '',
      plugin: r.plugin ?? '',
    }));
    let createUser: string | null = null;
    if (server.userTableIsView && accounts.some((a) => a.host === 'localhost')) {
      const s = await query(ctx, p, "SHOW CREATE USER 'root'@'localhost';\n");
      createUser = Object.values(s[0]?.rows[0] ?? {})[0] ?? null;
    }
    const users = p.removeMyCnfFor ?? ['root'];
    const found = (
      await ctx.run(
        sh`for u in ${users}; do h=$(getent passwd "$u" | cut -d: -f6); [ -n "$h" ] && [ -e "$h/.my.cnf" ] && echo "$u:$h/.my.cnf"; done; true`,
        { quiet: true },
      )
    ).stdout;
    const myCnf = found
      .split('\n')
      .filter(Boolean)
      .map((l) => ({ user: l.slice(0, l.indexOf(':')), path: l.slice(l.indexOf(':') + 1) }));
    return { server, root: { accounts, activePlugins: plugins.map((r) => r.name ?? ''), createUser, myCnf } };
  },
  plan,
});

/** Does `SHOW CREATE USER` say the account may log in by unix socket? */
export const socketAuthIn = (createUser: string) => /IDENTIFIED\s+(VIA|WITH)\s+.*\b(unix_socket|auth_socket)\b/i.test(createUser);

/** Pure: server facts → the statements for socket auth, or the SQL to run. */
export function plan(p: MysqlExecParams, f: Facts): Plan<MysqlExecResult> {
  const base: MysqlExecResult = { server: f.server, rows: f.sets?.at(-1)?.rows ?? [], resultSets: f.sets ?? [] };
  if (!p.socketAuthForRoot) {
    if (p.readOnly) return noop(`read ${base.rows.length} row(s) (${f.server.flavour} ${f.server.version})`, base);
    const { cmd, stdinPrefix } = mysqlCommand(p.login, { database: p.database });
    const report = (r: ExecResult) => {
      const resultSets = parseMysqlXml(r.stdout);
      return { result: { server: f.server, resultSets, rows: resultSets.at(-1)?.rows ?? [] } };
    };
    const steps = [exec(cmd, { stdin: stdinPrefix + joinSql(p.sql!), report })];
    return change(`run SQL on ${f.server.flavour} ${f.server.version}: ${joinSql(p.sql!).replace(/\s+/g, ' ').slice(0, 80)}`, {
      steps,
      result: base,
    });
  }
  const root = f.root!;
  const sql: string[] = [];
  const actions: string[] = [];
  let socketAlready: boolean;
  if (f.server.flavour === 'mariadb' && f.server.userTableIsView) {
    socketAlready = root.createUser !== null && socketAuthIn(root.createUser);
    if (root.createUser === null) throw new ParamError('mysqlExec: there is no root@localhost account to switch to socket auth');
    if (!socketAlready) {
      sql.push('ALTER USER root@localhost IDENTIFIED VIA unix_socket', 'FLUSH PRIVILEGES');
      actions.push('ALTER USER root@localhost IDENTIFIED VIA unix_socket (MariaDB ≥ 10.4)');
    }
  } else {
    const plugin = f.server.flavour === 'mariadb' ? 'unix_socket' : 'auth_socket';
    const soname = f.server.flavour === 'mariadb' ? 'auth_socket' : 'auth_socket.so';
    if (!root.activePlugins.includes(plugin)) {
      sql.push(`INSTALL PLUGIN ${plugin} SONAME '${soname}'`);
      actions.push(`INSTALL PLUGIN ${plugin}`);
    }
    const wrong = root.accounts.filter((a) => a.plugin !== plugin);
    socketAlready = wrong.length === 0 && root.accounts.length > 0;
    if (root.accounts.length === 0) throw new ParamError("mysqlExec: mysql.user has no user 'root' to switch to socket auth");
    if (wrong.length) {
      sql.push(`UPDATE mysql.user SET plugin='${plugin}' WHERE user='root'`, 'FLUSH PRIVILEGES');
      actions.push(
        `root@${wrong.map((a) => a.host).join(', root@')}: plugin ${[...new Set(wrong.map((a) => a.plugin))].join('/')} → ${plugin}`,
      );
    }
  }
  const steps: Step[] = [];
  if (sql.length) {
    const { cmd, stdinPrefix } = mysqlCommand(p.login);
    steps.push(exec(cmd, { stdin: stdinPrefix + joinSql(sql) }));
  }
  const diff: FileDiff[] = [];
  if (root.myCnf.length) {
    // prove unix root gets in with no option file before taking the option files away
    steps.push(exec(`echo 'SELECT 1;' | mysql --no-defaults --user=root >/dev/null`));
    for (const m of root.myCnf) {
      steps.push(exec(sh`rm -f -- ${m.path}`));
      actions.push(`remove ${m.path}`);
      diff.push({ path: m.path, before: '(MySQL client option file)\n', after: null });
    }
  }
  const result = { ...base, actions };
  if (steps.length === 0)
    return noop(`root already authenticates by socket on ${f.server.flavour} ${f.server.version}; no .my.cnf left`, {
      ...base,
      actions: [],
    });
  return change(actions.join('; '), { steps, diff: diff.length ? diff : undefined, result });
}
