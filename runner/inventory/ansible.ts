/**
 * Ansible inventory sources as ansible-core 2.14 loads them: files (YAML, INI, host lists
 * `a,b,`), directories of sources, and `group_vars/` + `host_vars/` beside each source; then
 * every host's variables resolved with Ansible's precedence:
 * `all` < other groups (by depth, `ansible_group_priority`, name) < group_vars/all <
 * group_vars/GROUP (same order) < host < host_vars/HOST. Dicts replace, they never merge.
 *
 * @example
 * const inv = loadAnsibleSources(['inventory/production']);
 * inv.hostvars(inv.data.hosts.get('web1')!)
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { InventoryError } from '../model/errors.ts';
import { registerSecret } from '../model/secrets.ts';
import { InventoryData, sortGroups, type InvGroup, type InvHost, type Vars } from './data.ts';
import { parseIni } from './ini.ts';
import { parseAddress } from './ranges.ts';
import { isVaultText, Vault } from './vault.ts';
import { parseYaml11, VaultValue } from './yaml11.ts';
import { parseYamlInventory } from './yamlInventory.ts';

/** Variables ansible-inventory never shows (its INTERNAL_VARS): magic, not inventory. */
export const INTERNAL_VARS = new Set([
  'ansible_diff_mode',
  'ansible_config_file',
  'ansible_facts',
  'ansible_forks',
  'ansible_inventory_sources',
  'ansible_limit',
  'ansible_playbook_python',
  'ansible_run_tags',
  'ansible_skip_tags',
  'ansible_verbosity',
  'ansible_version',
  'inventory_dir',
  'inventory_file',
  'inventory_hostname',
  'inventory_hostname_short',
  'groups',
  'group_names',
  'omit',
  'playbook_dir',
]);

const YAML_EXTS = ['.yml', '.yaml', '.json'];
const IGNORED_EXTS = ['.pyc', '.pyo', '.swp', '.bak', '~', '.rpm', '.md', '.txt', '.rst', '.orig', '.ini', '.cfg', '.retry'];
const IGNORED = (name: string) =>
  name.startsWith('.') || ['host_vars', 'group_vars', 'vars_plugins'].includes(name) || IGNORED_EXTS.some((e) => name.endsWith(e));

export interface LoadOptions {
  vault?: Vault;
}

export interface AnsibleInventory {
  data: InventoryData;
  /** The sources as given, resolved to absolute paths (host lists as written). */
  sources: string[];
  warnings: string[];
  /** The host's variables as `ansible-inventory --host` shows them. */
  hostvars(host: InvHost): Vars;
  /** A group's own variables with its group_vars files (for `--graph --vars`-like views). */
  groupvars(group: InvGroup): Vars;
}

export function loadAnsibleSources(sources: string[], opts: LoadOptions = {}): AnsibleInventory {
  const data = new InventoryData();
  const vault = opts.vault ?? new Vault([]);
  const resolved = sources.map((s) => (s.includes(',') && !existsSync(s) ? s : resolve(s)));
  for (const s of resolved) parseSource(data, s, vault, true);
  data.reconcile();
  const varDirs = resolved.filter((s) => !(s.includes(',') && !existsSync(s))).map((s) => (isDir(s) ? s : dirname(s)));
  const cache = new Map<string, Vars>();
  const filesVars = (kind: 'group_vars' | 'host_vars', name: string): Vars => {
    const key = `${kind}\0${name}`;
    let v = cache.get(key);
    if (!v) {
      v = {};
      if (!name.startsWith('/')) for (const d of varDirs) Object.assign(v, loadVarsDir(data, join(d, kind), name, vault));
      cache.set(key, v);
    }
    return v;
  };
  // Load every file once now, so a bad group_vars file fails the load, not a later lookup.
  for (const g of data.groups.values()) filesVars('group_vars', g.name);
  for (const h of data.hosts.values()) filesVars('host_vars', h.name);
  const all = data.groups.get('all')!;
  return {
    data,
    sources: resolved,
    warnings: data.warnings,
    groupvars: (g) => ({ ...g.vars, ...filesVars('group_vars', g.name) }),
    hostvars(host) {
      const groups = sortGroups(host.groups.filter((g) => g.name !== 'all'));
      const out: Vars = { ...all.vars };
      for (const g of groups) Object.assign(out, g.vars);
      Object.assign(out, filesVars('group_vars', 'all'));
      for (const g of groups) Object.assign(out, filesVars('group_vars', g.name));
      Object.assign(out, host.vars, host.implicit ? {} : filesVars('host_vars', host.name));
      for (const k of INTERNAL_VARS) delete out[k];
      return out;
    },
  };
}

const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

function parseSource(data: InventoryData, source: string, vault: Vault, top: boolean): void {
  if (source.includes(',') && !existsSync(source)) return parseHostList(data, source);
  if (!existsSync(source)) throw new InventoryError(source, 'inventory source not found');
  if (isDir(source)) {
    const entries = readdirSync(source).sort();
    let parsed = 0;
    for (const e of entries) {
      if (IGNORED(e)) continue;
      parseSource(data, join(source, e), vault, false);
      parsed++;
    }
    if (top && parsed === 0) throw new InventoryError(source, 'directory holds no inventory source');
    return;
  }
  parseFile(data, source, vault);
}

function parseHostList(data: InventoryData, list: string): void {
  for (const raw of list.split(',')) {
    const h = raw.trim();
    if (!h) continue;
    let host = h;
    let port: number | undefined;
    try {
      ({ host, port } = parseAddress(h, false));
    } catch {
      // Ansible leaves such a name unchanged
    }
    if (!data.hosts.has(host)) data.addHost(list, host, 'ungrouped', port);
  }
}

function readText(file: string, vault: Vault): string {
  const text = readFileSync(file, 'utf8');
  if (!isVaultText(text)) return text;
  const plain = vault.decrypt(text, file);
  return plain;
}

/** Ansible tries its plugins in order: script, auto (plugin files), yaml, ini. */
function parseFile(data: InventoryData, file: string, vault: Vault): void {
  const ext = extname(file);
  const raw = readFileSync(file, 'utf8');
  if (raw.startsWith('#!')) {
    throw new InventoryError(
      file,
      'is an executable inventory script: not supported (run it yourself and save its output as a YAML inventory)',
    );
  }
  const text = isVaultText(raw) ? vault.decrypt(raw, file) : raw;
  const failures: string[] = [];
  if (!ext || YAML_EXTS.includes(ext)) {
    let doc: unknown;
    const warnings: string[] = [];
    try {
      doc = parseYaml11(text, file, (w) => warnings.push(w));
    } catch (e) {
      failures.push(`yaml: ${(e as Error).message}`);
    }
    if (!failures.length) {
      if (doc && typeof doc === 'object' && !Array.isArray(doc) && (doc as Vars).plugin) {
        throw new InventoryError(
          file,
          `is an inventory plugin configuration (plugin: ${String((doc as Vars).plugin)}): inventory plugins are not supported; export the hosts with ansible-inventory -i ${basename(file)} --list -y`,
        );
      }
      try {
        for (const w of warnings) data.warn(w);
        parseYamlInventory(data, file, doc);
        return;
      } catch (e) {
        if (!(e instanceof InventoryError)) throw e;
        failures.push(`yaml: ${e.message}`);
      }
    }
  }
  if (ext === '.toml') throw new InventoryError(file, 'TOML inventories are not supported (use YAML or INI)');
  try {
    parseIni(data, file, text);
    return;
  } catch (e) {
    if (!(e instanceof InventoryError)) throw e;
    failures.push(`ini: ${e.message}`);
  }
  throw new InventoryError(file, `is not an inventory Ansible can parse:\n  ${failures.join('\n  ')}`);
}

/** host_group_vars: `DIR/NAME`, `NAME.yml`, `NAME.yaml`, `NAME.json` (first found), or a directory of them. */
function loadVarsDir(data: InventoryData, dir: string, name: string, vault: Vault): Vars {
  if (!existsSync(dir)) return {};
  if (!isDir(dir)) {
    data.warn(`Found ${basename(dir)} that is not a directory, skipping: ${dir}`);
    return {};
  }
  const files: string[] = [];
  for (const ext of ['', ...YAML_EXTS]) {
    const p = join(dir, name + ext);
    if (!existsSync(p)) continue;
    if (isDir(p)) files.push(...dirVarsFiles(p));
    else files.push(p);
    break;
  }
  const out: Vars = {};
  for (const f of files) {
    const v = loadVarsFile(data, f, vault);
    if (v === null || v === undefined || (typeof v === 'object' && Object.keys(v as object).length === 0)) continue;
    if (typeof v !== 'object' || Array.isArray(v) || v instanceof VaultValue) {
      throw new InventoryError(
        f,
        `failed to combine variables, expected dicts but got a '${Array.isArray(v) ? 'list' : typeof v}' and a 'dict'`,
      );
    }
    Object.assign(out, v);
  }
  return out;
}

function dirVarsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    if (e.startsWith('.') || e.endsWith('~')) continue;
    const p = join(dir, e);
    const ext = extname(e);
    if (isDir(p) && !ext) out.push(...dirVarsFiles(p));
    else if (!isDir(p) && (!ext || YAML_EXTS.includes(ext))) out.push(p);
  }
  return out;
}

function loadVarsFile(data: InventoryData, file: string, vault: Vault): unknown {
  const raw = readFileSync(file, 'utf8');
  const encrypted = isVaultText(raw);
  const v = parseYaml11(encrypted ? readText(file, vault) : raw, file, (w) => data.warn(w));
  if (encrypted) registerStrings(v);
  return v;
}

function registerStrings(v: unknown): void {
  if (typeof v === 'string') registerSecret(v);
  else if (Array.isArray(v)) v.forEach(registerStrings);
  else if (v && typeof v === 'object' && !(v instanceof VaultValue)) Object.values(v).forEach(registerStrings);
}
