/**
 * Inventories: a TypeScript file (`defineInventory`, typed host vars) or any Ansible inventory
 * (YAML, INI, a directory, group_vars/host_vars: see ansible.ts and fromAnsible.ts). Both are
 * validated at load; an error names the file, the host or group, and the field, and nothing runs.
 * Variables nest as in Ansible: `defaults` < groups by depth (then `priority`, then name) < host.
 *
 * @example
 * // inventory/berlin.ts
 * export default defineInventory({
 *   defaults: { user: 'ucware', becomePasswordEnv: 'UCW_SUDO_PASS' },
 *   groups: { pbx: { vars: { licenceDir: 'licences/' } } },
 *   hosts: { 'pbx-ber-1': { address: '10.1.0.5', tags: ['berlin'], groups: ['pbx'] } },
 * })
 */
import { resolve, dirname } from 'node:path';
import { InventoryError } from '../model/errors.ts';
import { importTs } from '../cli/importTs.ts';
import type { HostVars } from '../model/vars.ts';
import { loadAnsibleSources } from './ansible.ts';
import { CONNECTION_KEYS, resolveHost, type ConnectionSettings, type Host, type Inventory, type InventorySpec } from './host.ts';
import { fromAnsible } from './fromAnsible.ts';
import type { Vault } from './vault.ts';

export type { ConnectionSettings, GroupSpec, Host, HostSpec, Inventory, InventorySpec, RolloutSettings } from './host.ts';

export function defineInventory(spec: InventorySpec): InventorySpec {
  return spec;
}

const NAME = /^[A-Za-z0-9_.-]+$/;
/** Loads and validates an inventory: a .ts/.js/.mjs file, or any Ansible source (file, directory, `a,b,`). */
export interface LoadInventoryOptions {
  vault?: Vault;
  /** Settings below every inventory level (ansible.cfg's remote_user, private_key_file…). */
  defaults?: ConnectionSettings;
}

export async function loadInventory(path: string, opts: LoadInventoryOptions = {}): Promise<Inventory> {
  const file = resolve(path);
  if (!/\.[cm]?[jt]s$/.test(file)) return fromAnsible(path, loadAnsibleSources([path], opts), opts);
  let spec: unknown;
  try {
    spec = (await importTs(file)).default;
  } catch (e) {
    if (e instanceof InventoryError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ERR_MODULE_NOT_FOUND') throw new InventoryError(path, 'file not found');
    throw new InventoryError(path, `cannot load: ${(e as Error).message}`);
  }
  if (!spec || typeof spec !== 'object') throw new InventoryError(path, 'must export default defineInventory({...})');
  return buildInventory(path, spec as InventorySpec, opts.defaults);
}

/** Validates a spec and resolves defaults → groups → host into Host records. */
export function buildInventory(file: string, spec: InventorySpec, base0: ConnectionSettings = {}): Inventory {
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
  // Ansible's depth: a top group is 1, a child one more than its deepest parent.
  const depth = (g: string): number => Math.max(0, ...[...(parents.get(g) ?? [])].map(depth)) + 1;
  const byPrecedence = (a: string, b: string) =>
    depth(a) - depth(b) || (groupSpecs[a]?.priority ?? 1) - (groupSpecs[b]?.priority ?? 1) || (a < b ? -1 : a > b ? 1 : 0);
  const hosts: Host[] = [];
  for (const [name, hs] of Object.entries(spec.hosts)) {
    if (!NAME.test(name)) throw new InventoryError(file, 'invalid host name (letters, digits, _ . - only)', { host: name });
    checkObject(file, hs ?? {}, { host: name });
    const h = hs ?? {};
    const direct = new Set<string>(h.groups ?? []);
    for (const [g, gs] of Object.entries(groupSpecs)) if (gs.hosts?.includes(name)) direct.add(g);
    for (const g of direct) if (!(g in groupSpecs)) groupSpecs[g] = {};
    // Ansible's order: shallow groups first, so deeper (nearer) ones override them.
    const all = [...new Set([...direct].flatMap((g) => ancestors(g)))].sort(byPrecedence);
    const vars: HostVars = { ...(spec.defaults?.vars ?? {}) };
    const conn: ConnectionSettings = { ...base0, ...pick(spec.defaults ?? {}) };
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
  return { file, hosts, groups, rollout: spec.rollout, warnings: [] };
}

function pick(s: ConnectionSettings): ConnectionSettings {
  const out: Record<string, unknown> = {};
  for (const k of CONNECTION_KEYS) if (s[k] !== undefined) out[k] = s[k];
  return out as ConnectionSettings;
}

function checkObject(file: string, value: unknown, where: { host?: string; group?: string }): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InventoryError(file, 'must be an object', where);
  const v = value as Record<string, unknown>;
  const known = where.host ? [...CONNECTION_KEYS, 'tags', 'groups', 'vars'] : ['vars', 'hosts', 'children', 'priority'];
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
