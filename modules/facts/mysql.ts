/**
 * The `mysql` command-line client as a fact source: how to log in without putting a password
 * on a command line or in the environment, and a parser for its `--xml` output (which, unlike
 * `--batch --raw`, keeps NULL apart from the string 'NULL', keeps tabs and newlines inside
 * values, and separates the result sets of several statements).
 */
import { sh, raw, Secret } from '../../runner/module.ts';

export interface MysqlLogin {
  /** Read only this option file, e.g. `/etc/mysql/debian.cnf` (`--defaults-file`). */
  defaultsFile?: string;
  /** Unix socket path (`--socket`). Unset: the client's default socket. */
  socket?: string;
  /** MySQL user name (`--user`). */
  user?: string;
  /**
   * Goes to the host on stdin, into a temporary option file of mode 600 that is removed when
   * the client exits; never on a command line or in the environment.
   */
  password?: Secret | string;
  /** TCP host (`--host`); unset: the local socket. */
  host?: string;
  /** TCP port (`--port`). */
  port?: number;
}

export type Row = Record<string, string | null>;

/** Option-file quoting: backslash escapes, then single or double quotes around the value. */
export function optionFileValue(v: string): string {
  const esc = v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  if (!esc.includes("'")) return `'${esc}'`;
  if (!esc.includes('"')) return `"${esc}"`;
  throw new Error('a MySQL password with both kinds of quote cannot go in an option file');
}

/**
 * The shell line running `mysql --xml` with `login`, and the text to put on its stdin before
 * the SQL (the password option file, read line by line by the shell — `read` never takes more
 * than one line — so the rest of stdin is the SQL for the client).
 */
export function mysqlCommand(
  login: MysqlLogin = {},
  o: { database?: string; noDefaults?: boolean } = {},
): { cmd: string; stdinPrefix: string } {
  const args: string[] = [];
  if (login.user) args.push(`--user=${login.user}`);
  if (login.host) args.push(`--host=${login.host}`);
  if (login.port) args.push(`--port=${login.port}`);
  if (login.socket) args.push(`--socket=${login.socket}`);
  args.push('--xml');
  if (o.database) args.push(`--database=${o.database}`);
  const first = login.defaultsFile ? [`--defaults-file=${login.defaultsFile}`] : o.noDefaults ? ['--no-defaults'] : [];
  if (login.password === undefined) return { cmd: sh`mysql ${[...first, ...args]}`, stdinPrefix: '' };
  const pw = login.password instanceof Secret ? login.password.reveal() : login.password;
  const cmd = [
    'umask 077',
    'f=$(mktemp /tmp/ucw-mysql.XXXXXX) || exit 1',
    raw(`trap 'rm -f "$f"' EXIT`).text,
    'IFS= read -r l1; IFS= read -r l2',
    `printf '%s\\n' "$l1" "$l2" > "$f"`,
    sh`mysql --defaults-extra-file="$f" ${args}`,
  ].join('; ');
  return { cmd, stdinPrefix: `[client]\npassword=${optionFileValue(pw)}\n` };
}

const XML_ENT: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&quot;': '"', '&apos;': "'", '&amp;': '&' };
const unxml = (s: string) =>
  s.replace(/&(lt|gt|quot|apos|amp|#\d+|#x[0-9a-f]+);/gi, (e) => {
    if (XML_ENT[e]) return XML_ENT[e]!;
    const hex = /^&#x/i.test(e);
    return String.fromCodePoint(parseInt(e.slice(hex ? 3 : 2, -1), hex ? 16 : 10));
  });

export interface ResultSet {
  statement: string;
  rows: Row[];
}

/** Parses `mysql --xml` output: one result set per statement that returned rows. */
export function parseMysqlXml(out: string): ResultSet[] {
  const sets: ResultSet[] = [];
  const setRe = /<resultset statement="([^"]*)"[^>]*?(?:\/>|>([\s\S]*?)<\/resultset>)/g;
  for (let s = setRe.exec(out); s; s = setRe.exec(out)) {
    const rows: Row[] = [];
    const rowRe = /<row>([\s\S]*?)<\/row>/g;
    const body = s[2] ?? '';
    for (let r = rowRe.exec(body); r; r = rowRe.exec(body)) {
      const row: Row = {};
      const fieldRe = /<field name="([^"]*)"(?:\s+xsi:nil="true"\s*\/>|\s*\/>|>([\s\S]*?)<\/field>)/g;
      const rb = r[1] ?? '';
      for (let f = fieldRe.exec(rb); f; f = fieldRe.exec(rb)) {
        const nil = f[0].includes('xsi:nil="true"');
        row[unxml(f[1] ?? '')] = nil ? null : unxml(f[2] ?? '');
      }
      rows.push(row);
    }
    sets.push({ statement: unxml(s[1] ?? ''), rows });
  }
  return sets;
}

export interface ServerInfo {
  /** From the version and its comment. */
  flavour: 'mysql' | 'mariadb';
  /** VERSION(), e.g. `10.11.18-MariaDB-0+deb12u1`. */
  version: string;
  /** The server's version comment, e.g. `Debian 12`. */
  comment: string;
  /** `mysql.user` is a VIEW on MariaDB ≥ 10.4 (over mysql.global_priv), a table before and on MySQL. */
  userTableIsView: boolean;
}

export const SERVER_INFO_SQL = `SELECT VERSION() AS version, @@version_comment AS comment, (SELECT table_type FROM information_schema.tables WHERE table_schema='mysql' AND table_name='user') AS user_table;\n`;

export function parseServerInfo(row: Row | undefined): ServerInfo {
  const version = row?.version ?? '';
  const comment = row?.comment ?? '';
  return {
    flavour: /mariadb/i.test(version + ' ' + comment) ? 'mariadb' : 'mysql',
    version,
    comment,
    userTableIsView: row?.user_table === 'VIEW',
  };
}

/** Joins statements so each ends with exactly one `;`. */
export const joinSql = (sql: string | readonly string[]) =>
  [sql]
    .flat()
    .map((s) => s.trim().replace(/;+$/, ''))
    .filter(Boolean)
    .map((s) => s + ';\n')
    .join('');
