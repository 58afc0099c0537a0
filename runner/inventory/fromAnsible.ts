/**
 * An Ansible inventory as the runner's hosts: each host's resolved variables (Ansible's
 * precedence, ansible.ts) with the connection variables Ansible honours mapped onto typed
 * settings — `ansible_host`/`_port`/`_user`/`_ssh_private_key_file`/`_connection` and the
 * legacy `ansible_ssh_*` names — at whatever level they were set. Passwords in an inventory are
 * refused (name an environment variable instead); `!vault` values are decrypted or refused.
 *
 * @example
 * const inv = fromAnsible('hosts.ini', loadAnsibleSources(['hosts.ini']));
 */
import { dirname, resolve } from 'node:path';
import { InventoryError } from '../model/errors.ts';
import { registerSecret } from '../model/secrets.ts';
import type { HostVars } from '../model/vars.ts';
import type { AnsibleInventory } from './ansible.ts';
import type { InvHost, Vars } from './data.ts';
import { CONNECTION_KEYS, resolveHost, type ConnectionSettings, type Host, type Inventory } from './host.ts';
import type { Vault } from './vault.ts';
import { VaultValue } from './yaml11.ts';

/** Ansible's names for each setting; where two are set, the later (legacy) one wins, as in Ansible. */
const NAMES: [keyof ConnectionSettings, string[]][] = [
  ['address', ['ansible_host', 'ansible_ssh_host']],
  ['port', ['ansible_port', 'ansible_ssh_port']],
  ['user', ['ansible_user', 'ansible_ssh_user']],
  ['identityFile', ['ansible_private_key_file', 'ansible_ssh_private_key_file']],
  ['connectTimeoutSec', ['ansible_timeout', 'ansible_ssh_timeout']],
  ['shell', ['ansible_shell_executable']],
];

const PASSWORDS: Record<string, string> = {
  ansible_become_password: 'becomePasswordEnv',
  ansible_become_pass: 'becomePasswordEnv',
  ansible_sudo_pass: 'becomePasswordEnv',
  ansible_password: 'passwordEnv',
  ansible_ssh_pass: 'passwordEnv',
  ansible_ssh_password: 'passwordEnv',
};

const IGNORED: Record<string, string> = {
  ansible_python_interpreter: 'the runner needs no Python on the hosts',
  ansible_become: 'become is set per play, block or task (`become: true`)',
  ansible_become_user: 'the runner becomes root through sudo; another become user is not supported',
  ansible_become_method: 'the runner becomes root through sudo',
  ansible_ssh_common_args: "use the host's `jump` setting or ~/.ssh/config (ProxyJump) instead",
  ansible_ssh_extra_args: 'use ~/.ssh/config instead',
};

const SSH_LIKE = ['ssh', 'smart', 'paramiko'];
const GENERIC: (keyof ConnectionSettings)[] = ['address', 'port', 'user'];

export function fromAnsible(path: string, inv: AnsibleInventory, opts: { vault?: Vault; defaults?: ConnectionSettings } = {}): Inventory {
  const { vault, defaults = {} } = opts;
  const file = resolve(path);
  const base = dirname(file);
  const warnings = [...inv.warnings];
  const warn = (w: string) => warnings.includes(w) || warnings.push(w);
  const hosts: Host[] = [];
  for (const h of inv.data.groups.get('all')!.allHosts()) {
    const vars = decryptAll(h.name, inv.hostvars(h), vault);
    hosts.push(toHost(file, base, h, vars, warn, defaults));
  }
  const groups = new Map<string, Set<string>>();
  for (const [name, g] of inv.data.groups) groups.set(name, new Set(g.allHosts().map((h) => h.name)));
  return { file, hosts, groups, ansible: inv, warnings };
}

function toHost(file: string, base: string, h: InvHost, vars: Vars, warn: (w: string) => void, defaults: ConnectionSettings): Host {
  const where = (field: string) => ({ host: h.name, field });
  // The runner's own setting names (address, port, becomePasswordEnv, knownHostsFile…) work too;
  // Ansible's names win where both are set.
  const native = Object.fromEntries(CONNECTION_KEYS.filter((k) => vars[k] !== undefined && vars[k] !== null).map((k) => [k, vars[k]]));
  const conn: ConnectionSettings = { ...defaults, ...native };
  for (const [key, names] of NAMES) {
    const set = names.filter((n) => vars[n] !== undefined && vars[n] !== null);
    if (!set.length) continue;
    const values = set.map((n) => vars[n]);
    if (set.length > 1 && values[0] !== values[1]) warn(`${h.name}: both ${set[0]} and ${set[1]} are set; ${set[1]} wins, as in Ansible`);
    (conn as Record<string, unknown>)[key] = values[values.length - 1];
  }
  if (conn.port !== undefined)
    conn.port = portOf(file, h.name, conn.port, ['ansible_ssh_port', 'ansible_port'].find((n) => vars[n] !== undefined) ?? 'port');
  if (conn.address !== undefined && typeof conn.address !== 'string') conn.address = String(conn.address);
  if (typeof conn.connectTimeoutSec === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(conn.connectTimeoutSec))
    conn.connectTimeoutSec = Number(conn.connectTimeoutSec);
  const mixed = GENERIC.filter(
    (k) => native[k] !== undefined && NAMES.some(([key, names]) => key === k && names.some((n) => vars[n] !== undefined)),
  );
  for (const k of mixed)
    warn(
      `${h.name}: both the runner's \`${k}\` and Ansible's name for it are set; Ansible's wins (rename \`${k}\` if it is an application variable)`,
    );
  const kind = vars.ansible_connection;
  let unsupportedConnection: string | undefined;
  if (kind !== undefined && kind !== null) {
    if (kind === 'local') conn.connection = 'local';
    else if (typeof kind === 'string' && SSH_LIKE.includes(kind)) conn.connection = 'ssh';
    else unsupportedConnection = String(kind);
  }
  for (const [k, setting] of Object.entries(PASSWORDS)) {
    if (vars[k] !== undefined) {
      throw new InventoryError(
        file,
        `passwords don't belong in an inventory: name an environment variable with \`${setting}\` instead (or -${setting === 'passwordEnv' ? 'k' : 'K'} to be asked)`,
        where(k),
      );
    }
  }
  for (const [k, why] of Object.entries(IGNORED)) if (vars[k] !== undefined) warn(`${k} is ignored (${why})`);
  for (const [k, v] of Object.entries(vars))
    if (typeof v === 'string' && v.includes('{{')) warn(`variable ${k} holds Jinja ("${v}"): it is kept as written, not templated`);
  const tags = Array.isArray(vars.tags)
    ? vars.tags.map(String)
    : typeof vars.tags === 'string'
      ? vars.tags
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean)
      : [];
  const groups = ['all', ...h.groups.filter((g) => g.name !== 'all').map((g) => g.name)];
  const host = resolveHost(file, base, h.name, conn, tags, groups, vars as HostVars);
  return unsupportedConnection ? { ...host, unsupportedConnection } : host;
}

function portOf(file: string, host: string, v: unknown, field: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new InventoryError(file, `must be a port number 1–65535, not ${JSON.stringify(v)}`, { host, field });
  return n;
}

function decryptAll(host: string, vars: Vars, vault?: Vault): Vars {
  const walk = (v: unknown, name: string): unknown => {
    if (v instanceof VaultValue) {
      if (!vault?.hasPassword) {
        throw new InventoryError(
          v.file,
          `line ${v.line}: variable ${name} is vault-encrypted and no vault password was given (--vault-password-file FILE or --ask-vault-pass)`,
          { host },
        );
      }
      const plain = vault.decrypt(v.ciphertext, `${v.file}: variable ${name}`);
      registerSecret(plain);
      return plain;
    }
    if (Array.isArray(v)) return v.map((x) => walk(x, name));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, name)]));
    return v;
  };
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, walk(v, k)]));
}
