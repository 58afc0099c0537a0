/**
 * Inventories: a TypeScript file (`defineInventory`, typed host vars) or Ansible-style YAML
 * (`all` / `children` / `hosts` / `vars`). Both are validated at load; an error names the
 * file, the host or group, and the field, and nothing runs.
 *
 * @example
 * // inventory/berlin.ts
 * export default defineInventory({
 *   defaults: { user: 'ucware', becomePasswordEnv: 'UCW_SUDO_PASS' },
 *   groups: { pbx: { vars: { licenceDir: 'licences/' } } },
 *   hosts: { 'pbx-ber-1': { address: '10.1.0.5', tags: ['berlin'], groups: ['pbx'] } },
 * })
 */
import { readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { resolve, dirname, isAbsolute } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { InventoryError } from '../model/errors.ts';
import { importTs } from '../cli/importTs.ts';
import type { HostKeyChecking } from '../connection/knownHosts.ts';
import type { HostVars } from '../model/vars.ts';


/** How to reach a host; every field may come from inventory defaults, a group or the host. */
export interface ConnectionSettings {
  /** @default the host's name */
  address?: string;
  /** @default 22 */
  port?: number;
  /** @default the controller's user */
  user?: string;
  /** `local` runs on the controller itself. @default 'ssh' */
  connection?: 'ssh' | 'local';
  /** Private keys, tried after the agent. @default ~/.ssh/id_ed25519, id_ecdsa, id_rsa */
  identityFile?: string | string[];
  /** Name of an environment variable holding the SSH password. */
  passwordEnv?: string;
  /** Name of an environment variable holding the sudo password. */
  becomePasswordEnv?: string;
  /** Unknown host keys are refused unless this is 'accept-new' (or ssh_config's StrictHostKeyChecking says so). @default 'strict' */
  hostKeyChecking?: HostKeyChecking;
  /** known_hosts files; the first records new keys. @default ~/.ssh/known_hosts */
  knownHostsFile?: string | string[];
  /** @default 10 */
  connectTimeoutSec?: number;
  /** Jump hosts, outermost first, `[user@]host[:port]` (like ProxyJump; overrides it). */
  jump?: string | string[];
  /** OpenSSH client config read for HostName, User, Port, IdentityFile, ProxyJump, timeouts. @default ~/.ssh/config */
  sshConfigFile?: string;
  /** Name of an environment variable holding the passphrase of encrypted identity files. */
  identityPassphraseEnv?: string;
  /** Keepalive interval; a dead link is noticed after interval × countMax. @default 5 */
  serverAliveIntervalSec?: number;
  /** @default 3 */
  serverAliveCountMax?: number;
  /** How long to wait for sudo's prompt or success marker. @default 12 */
  becomeTimeoutSec?: number;
  /**
   * How commands reach the host: `persistent` (one long-lived framed shell, and one root shell
   * through sudo) or `exec` (an SSH channel per command). @default the runner's default
   */
  channel?: 'persistent' | 'exec';
}

export interface HostSpec extends ConnectionSettings {
  tags?: string[];
  groups?: string[];
  vars?: Partial<HostVars>;
}

export interface GroupSpec {
  vars?: Partial<HostVars>;
  hosts?: string[];
  children?: string[];
}

/** How a rollout over this inventory goes; the command line wins, then this, then the playbook. */
export interface RolloutSettings {
  serial?: import('../model/dsl.ts').Serial;
  maxFailPercentage?: number;
  forks?: number;
}

export interface InventorySpec {
  rollout?: RolloutSettings;
  defaults?: ConnectionSettings & { vars?: Partial<HostVars> };
  groups?: Record<string, GroupSpec>;
  hosts: Record<string, HostSpec>;
}

export interface Host {
  name: string;
  address: string;
  port: number;
  user: string;
  connection: 'ssh' | 'local';
  identityFiles: string[];
  passwordEnv?: string;
  becomePasswordEnv?: string;
  hostKeyChecking: HostKeyChecking;
  knownHostsFiles: string[];
  connectTimeoutSec: number;
  jump?: string[];
  sshConfigFile?: string;
  identityPassphraseEnv?: string;
  serverAliveIntervalSec?: number;
  serverAliveCountMax?: number;
  becomeTimeoutSec?: number;
  channel?: 'persistent' | 'exec';
  /** Connection settings the inventory set itself: ~/.ssh/config fills in only the others. */
  explicit?: ReadonlySet<keyof ConnectionSettings>;
  tags: string[];
  /** Every group the host is in, parents included, plus `all`. */
  groups: string[];
  vars: HostVars;
}

export interface Inventory {
  file: string;
  rollout?: RolloutSettings;
  hosts: Host[];
  groups: Map<string, Set<string>>;
}

export function defineInventory(spec: InventorySpec): InventorySpec {
  return spec;
}

const NAME = /^[A-Za-z0-9_.-]+$/;
const CONNECTION_KEYS = [
  'address', 'port', 'user', 'connection', 'identityFile', 'passwordEnv', 'becomePasswordEnv',
  'hostKeyChecking', 'knownHostsFile', 'connectTimeoutSec', 'jump', 'sshConfigFile', 'identityPassphraseEnv',
  'serverAliveIntervalSec', 'serverAliveCountMax', 'becomeTimeoutSec', 'channel',
] as const;

/** Loads and validates an inventory file (.ts/.js/.mjs or .yml/.yaml). */
export async function loadInventory(path: string): Promise<Inventory> {
  const file = resolve(path);
  let spec: unknown;
  try {
    if (/\.(ya?ml)$/.test(file)) spec = fromYaml(file, readFileSync(file, 'utf8'));
    else spec = (await importTs(file)).default;
  } catch (e) {
    if (e instanceof InventoryError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ERR_MODULE_NOT_FOUND') throw new InventoryError(path, 'file not found');
    throw new InventoryError(path, `cannot load: ${(e as Error).message}`);
  }
  if (!spec || typeof spec !== 'object') throw new InventoryError(path, 'must export default defineInventory({...})');
  return buildInventory(path, spec as InventorySpec);
}

/** Validates a spec and resolves defaults → groups → host into Host records. */
export function buildInventory(file: string, spec: InventorySpec): Inventory {
  const base = dirname(resolve(file));
  if (!spec.hosts || typeof spec.hosts !== 'object') throw new InventoryError(file, 'no "hosts" object');
  const groupSpecs = spec.groups ?? {};
  const groups = new Map<string, Set<string>>();
  const parents = new Map<string, Set<string>>();
  for (const [g, gs] of Object.entries(groupSpecs)) {
    if (!NAME.test(g)) throw new InventoryError(file, 'invalid group name (letters, digits, _ . - only)', { group: g });
    checkObject(file, gs, { group: g });
    for (const h of gs.hosts ?? []) {
      if (!(h in spec.hosts)) throw new InventoryError(file, `lists unknown host "${h}"`, { group: g, field: 'hosts' });
    }
    for (const c of gs.children ?? []) {
      if (!(c in groupSpecs)) throw new InventoryError(file, `lists unknown child group "${c}"`, { group: g, field: 'children' });
      if (!parents.has(c)) parents.set(c, new Set());
      parents.get(c)!.add(g);
    }
  }
  const ancestors = (g: string, seen = new Set<string>()): string[] => {
    if (seen.has(g)) throw new InventoryError(file, 'group is its own ancestor (cycle in children)', { group: g });
    seen.add(g);
    return [g, ...[...(parents.get(g) ?? [])].flatMap((p) => ancestors(p, new Set(seen)))];
  };
  const hosts: Host[] = [];
  for (const [name, hs] of Object.entries(spec.hosts)) {
    if (!NAME.test(name)) throw new InventoryError(file, 'invalid host name (letters, digits, _ . - only)', { host: name });
    checkObject(file, hs ?? {}, { host: name });
    const h = hs ?? {};
    const direct = new Set<string>(h.groups ?? []);
    for (const [g, gs] of Object.entries(groupSpecs)) if (gs.hosts?.includes(name)) direct.add(g);
    for (const g of direct) if (!(g in groupSpecs)) groupSpecs[g] = {};
    // Order matters for vars: farther ancestors first, so nearer groups override them.
    const all = [...new Set([...direct].flatMap((g) => ancestors(g)).reverse())];
    const vars: HostVars = { ...(spec.defaults?.vars ?? {}) };
    const conn: ConnectionSettings = pick(spec.defaults ?? {});
    for (const g of all) Object.assign(vars, groupSpecs[g]?.vars ?? {});
    Object.assign(vars, h.vars ?? {});
    Object.assign(conn, pick(h));
    hosts.push(resolveHost(file, base, name, conn, h.tags ?? [], ['all', ...all], vars));
    for (const g of ['all', ...all]) {
      if (!groups.has(g)) groups.set(g, new Set());
      groups.get(g)!.add(name);
    }
  }
  for (const g of Object.keys(groupSpecs)) if (!groups.has(g)) groups.set(g, new Set());
  return { file, hosts, groups, rollout: spec.rollout };
}

function pick(s: ConnectionSettings): ConnectionSettings {
  const out: Record<string, unknown> = {};
  for (const k of CONNECTION_KEYS) if (s[k] !== undefined) out[k] = s[k];
  return out as ConnectionSettings;
}

function checkObject(file: string, value: unknown, where: { host?: string; group?: string }): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InventoryError(file, 'must be an object', where);
  const v = value as Record<string, unknown>;
  const known = where.host ? [...CONNECTION_KEYS, 'tags', 'groups', 'vars'] : ['vars', 'hosts', 'children'];
  for (const k of Object.keys(v)) {
    if (!known.includes(k)) throw new InventoryError(file, `unknown field (known: ${known.join(', ')})`, { ...where, field: k });
  }
  for (const k of ['tags', 'groups', 'hosts', 'children']) {
    if (v[k] === undefined) continue;
    if (!Array.isArray(v[k]) || !(v[k] as unknown[]).every((x) => typeof x === 'string' && NAME.test(x))) {
      throw new InventoryError(file, 'must be a list of names (letters, digits, _ . -)', { ...where, field: k });
    }
  }
  if (v.vars !== undefined && (typeof v.vars !== 'object' || v.vars === null || Array.isArray(v.vars))) {
    throw new InventoryError(file, 'must be an object', { ...where, field: 'vars' });
  }
}

function resolveHost(
  file: string, base: string, name: string, c: ConnectionSettings, tags: string[], groups: string[], vars: HostVars,
): Host {
  const where = (field: string) => ({ host: name, field });
  const str = (field: keyof ConnectionSettings) => {
    const v = c[field];
    if (v !== undefined && (typeof v !== 'string' || v === '')) throw new InventoryError(file, 'must be a non-empty string', where(field));
    return v as string | undefined;
  };
  const positive = (field: 'serverAliveIntervalSec' | 'serverAliveCountMax' | 'becomeTimeoutSec') => {
    const v = c[field];
    if (v !== undefined && (typeof v !== 'number' || !(v > 0))) throw new InventoryError(file, 'must be a positive number', where(field));
    return v;
  };
  const jump = c.jump === undefined ? undefined : Array.isArray(c.jump) ? c.jump : [c.jump];
  if (jump && !jump.every((j) => typeof j === 'string' && /^[^\s,]+$/.test(j))) {
    throw new InventoryError(file, 'must be a jump host "[user@]host[:port]" or a list of them', where('jump'));
  }
  const list = (field: 'identityFile' | 'knownHostsFile') => {
    const v = c[field];
    if (v === undefined) return undefined;
    const arr = Array.isArray(v) ? v : [v];
    if (!arr.every((x) => typeof x === 'string' && x !== '')) throw new InventoryError(file, 'must be a path or a list of paths', where(field));
    return arr.map((p) => expandPath(base, p));
  };
  const port = c.port ?? 22;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InventoryError(file, `must be a port number 1–65535, not ${JSON.stringify(c.port)}`, where('port'));
  const connection = c.connection ?? 'ssh';
  if (connection !== 'ssh' && connection !== 'local') throw new InventoryError(file, `must be 'ssh' or 'local', not ${JSON.stringify(connection)}`, where('connection'));
  const hkc = c.hostKeyChecking ?? 'strict';
  if (!['strict', 'accept-new', 'off'].includes(hkc)) throw new InventoryError(file, `must be 'strict', 'accept-new' or 'off', not ${JSON.stringify(hkc)}`, where('hostKeyChecking'));
  const timeout = c.connectTimeoutSec ?? 10;
  if (typeof timeout !== 'number' || !(timeout > 0)) throw new InventoryError(file, 'must be a positive number of seconds', where('connectTimeoutSec'));
  if (c.channel !== undefined && c.channel !== 'persistent' && c.channel !== 'exec') {
    throw new InventoryError(file, `must be 'persistent' or 'exec', not ${JSON.stringify(c.channel)}`, where('channel'));
  }
  const ssh = join(homedir(), '.ssh');
  return {
    name,
    address: str('address') ?? name,
    port,
    user: str('user') ?? userInfo().username,
    connection,
    identityFiles: list('identityFile') ?? ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(ssh, f)),
    passwordEnv: str('passwordEnv'),
    becomePasswordEnv: str('becomePasswordEnv'),
    hostKeyChecking: hkc,
    knownHostsFiles: list('knownHostsFile') ?? [join(ssh, 'known_hosts')],
    connectTimeoutSec: timeout,
    jump,
    sshConfigFile: c.sshConfigFile !== undefined ? expandPath(base, str('sshConfigFile')!) : undefined,
    identityPassphraseEnv: str('identityPassphraseEnv'),
    serverAliveIntervalSec: positive('serverAliveIntervalSec'),
    serverAliveCountMax: positive('serverAliveCountMax'),
    becomeTimeoutSec: positive('becomeTimeoutSec'),
    channel: c.channel,
    explicit: new Set(CONNECTION_KEYS.filter((k) => c[k] !== undefined)),
    tags: [...tags],
    groups,
    vars,
  };
}

const join = (...p: string[]) => resolve(...p);
function expandPath(base: string, p: string): string {
  if (p === '~' || p.startsWith('~/')) return join(homedir(), p.slice(2));
  return isAbsolute(p) ? p : join(base, p);
}

// ---- Ansible-style YAML -------------------------------------------------------------

const YAML_ALIASES: Record<string, keyof ConnectionSettings> = {
  ansible_host: 'address', ansible_port: 'port', ansible_user: 'user', ansible_connection: 'connection',
  ansible_ssh_private_key_file: 'identityFile',
};

/** Turns `all: { hosts, vars, children }` into an InventorySpec. */
export function fromYaml(file: string, text: string): InventorySpec {
  let doc: unknown;
  try {
    doc = loadYaml(text);
  } catch (e) {
    const m = (e as { mark?: { line: number; column: number }; reason?: string }).mark;
    const where = m ? ` at line ${m.line + 1}, column ${m.column + 1}` : '';
    throw new InventoryError(file, `invalid YAML${where}: ${(e as { reason?: string }).reason ?? (e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || !('all' in doc)) throw new InventoryError(file, 'a YAML inventory starts with "all:"');
  const spec: InventorySpec = { hosts: {}, groups: {}, defaults: {} };
  const walk = (group: string, node: unknown) => {
    if (node === null || node === undefined) node = {};
    if (typeof node !== 'object' || Array.isArray(node)) throw new InventoryError(file, 'must be a mapping', { group });
    const n = node as { hosts?: unknown; vars?: unknown; children?: unknown };
    for (const k of Object.keys(n)) {
      if (!['hosts', 'vars', 'children'].includes(k)) throw new InventoryError(file, 'unknown key (hosts, vars, children)', { group, field: k });
    }
    const { settings, vars } = splitVars(file, n.vars, { group });
    if (group === 'all') spec.defaults = { ...settings, vars };
    else spec.groups![group] = { ...(spec.groups![group] ?? {}), vars: { ...(spec.groups![group]?.vars ?? {}), ...vars } };
    if (group !== 'all' && Object.keys(settings).length) {
      throw new InventoryError(file, `connection settings (${Object.keys(settings).join(', ')}) belong on hosts or in all.vars`, { group, field: 'vars' });
    }
    const hosts = n.hosts ?? {};
    if (typeof hosts !== 'object' || Array.isArray(hosts)) throw new InventoryError(file, 'must be a mapping of host names', { group, field: 'hosts' });
    for (const [h, hv] of Object.entries(hosts as Record<string, unknown>)) {
      const { settings: hs, vars: hvars, tags } = splitVars(file, hv, { host: h });
      const prev = spec.hosts[h] ?? {};
      spec.hosts[h] = { ...prev, ...hs, tags: [...(prev.tags ?? []), ...tags], vars: { ...(prev.vars ?? {}), ...hvars } };
      if (group !== 'all') spec.groups![group]!.hosts = [...(spec.groups![group]!.hosts ?? []), h];
    }
    const children = n.children ?? {};
    if (typeof children !== 'object' || Array.isArray(children)) throw new InventoryError(file, 'must be a mapping of groups', { group, field: 'children' });
    for (const [c, cn] of Object.entries(children as Record<string, unknown>)) {
      if (group !== 'all') spec.groups![group]!.children = [...(spec.groups![group]!.children ?? []), c];
      walk(c, cn);
    }
  };
  walk('all', (doc as { all: unknown }).all);
  return spec;
}

function splitVars(file: string, raw: unknown, where: { host?: string; group?: string }) {
  const settings: Record<string, unknown> = {};
  const vars: Record<string, unknown> = {};
  let tags: string[] = [];
  if (raw === null || raw === undefined) return { settings, vars, tags };
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InventoryError(file, 'must be a mapping', where);
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const key = YAML_ALIASES[k] ?? k;
    if ((CONNECTION_KEYS as readonly string[]).includes(key)) settings[key] = v;
    else if (k === 'tags' && where.host) {
      if (!Array.isArray(v)) throw new InventoryError(file, 'must be a list', { ...where, field: 'tags' });
      tags = v as string[];
    } else vars[k] = v;
  }
  return { settings: settings as ConnectionSettings, vars, tags };
}
