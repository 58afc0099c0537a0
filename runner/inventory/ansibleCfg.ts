/**
 * ansible.cfg, found where Ansible looks (`$ANSIBLE_CONFIG`, `./ansible.cfg`, `~/.ansible.cfg`,
 * `/etc/ansible/ansible.cfg`; the first that exists wins), for what Ansible users keep there:
 * `inventory`, `remote_user`, `private_key_file`, `host_key_checking`, `forks`, and `become` /
 * `become_user` (which the runner sets per play). Anything else is named once as ignored.
 *
 * @example
 * const cfg = readAnsibleCfg(); // { file: 'ansible.cfg', inventory: ['/srv/ops/hosts'], remoteUser: 'ops', … }
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { InventoryError } from '../model/errors.ts';
import type { HostKeyChecking } from '../connection/knownHosts.ts';

export interface AnsibleCfg {
  file?: string;
  inventory?: string[];
  remoteUser?: string;
  privateKeyFile?: string;
  hostKeyChecking?: HostKeyChecking;
  forks?: number;
  warnings: string[];
}

const USED: Record<string, string[]> = {
  defaults: ['inventory', 'hostfile', 'remote_user', 'private_key_file', 'host_key_checking', 'forks'],
  privilege_escalation: ['become', 'become_user', 'become_method', 'become_ask_pass'],
};

/** The config file Ansible would read, or undefined. */
export function findAnsibleCfg(env = process.env, cwd = process.cwd()): string | undefined {
  const fromEnv = env.ANSIBLE_CONFIG;
  if (fromEnv) {
    const p = resolve(cwd, fromEnv.replace(/^~(?=\/|$)/, homedir()));
    const f = existsSync(p) && statSync(p).isDirectory() ? join(p, 'ansible.cfg') : p;
    if (existsSync(f)) return f;
  }
  // Ansible skips ./ansible.cfg in a world-writable directory (anyone could plant one there).
  const here = join(cwd, 'ansible.cfg');
  if (existsSync(here) && !(statSync(cwd).mode & 0o002)) return here;
  for (const f of [join(homedir(), '.ansible.cfg'), '/etc/ansible/ansible.cfg']) if (existsSync(f)) return f;
  return undefined;
}

/** configparser's INI: `[section]`, `key = value` or `key: value`, `#`/`;` comments, indented continuation lines. */
export function parseCfg(file: string, text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let section: Map<string, string> | undefined;
  let last: string | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    if (/^\s*([#;]|$)/.test(raw)) return;
    if (/^\s/.test(raw) && section && last !== undefined) {
      section.set(last, `${section.get(last)}\n${raw.trim()}`);
      return;
    }
    const sec = /^\[([^\]]+)\]\s*$/.exec(raw.trim());
    if (sec) {
      section = out.get(sec[1]!) ?? new Map();
      out.set(sec[1]!, section);
      last = undefined;
      return;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(raw.trim());
    if (!kv || !section) throw new InventoryError(file, `line ${i + 1}: expected [section] or key = value, got: ${raw.trim()}`);
    last = kv[1]!.toLowerCase();
    section.set(last, kv[2]!.replace(/\s+;.*$/, ''));
  });
  return out;
}

const truthy = (v: string) => ['1', 'true', 'yes', 'on', 'y', 't'].includes(v.trim().toLowerCase());

export function readAnsibleCfg(file = findAnsibleCfg()): AnsibleCfg {
  const cfg: AnsibleCfg = { file, warnings: [] };
  if (!file) return cfg;
  const ini = parseCfg(file, readFileSync(file, 'utf8'));
  const base = dirname(file);
  const path = (p: string) => {
    const e = p.trim().replace(/^~(?=\/|$)/, homedir());
    return isAbsolute(e) ? e : resolve(base, e);
  };
  const d = ini.get('defaults') ?? new Map<string, string>();
  const inv = d.get('inventory') ?? d.get('hostfile');
  if (inv)
    cfg.inventory = inv
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => (s.includes(',') ? s : path(s)));
  if (d.get('remote_user')) cfg.remoteUser = d.get('remote_user')!.trim();
  if (d.get('private_key_file')) cfg.privateKeyFile = path(d.get('private_key_file')!);
  if (d.has('host_key_checking') && !truthy(d.get('host_key_checking')!)) cfg.hostKeyChecking = 'off';
  if (d.has('forks')) {
    const n = Number(d.get('forks'));
    if (!Number.isInteger(n) || n < 1)
      throw new InventoryError(file, `[defaults] forks must be a whole number ≥ 1, not "${d.get('forks')}"`);
    cfg.forks = n;
  }
  const pe = ini.get('privilege_escalation');
  if (pe?.has('become') || pe?.has('become_user')) {
    cfg.warnings.push(
      `${file}: [privilege_escalation] become/become_user are ignored: the runner sets become per play, block or task and becomes root through sudo`,
    );
  }
  const ignored: string[] = [];
  for (const [name, keys] of ini) for (const k of keys.keys()) if (!USED[name]?.includes(k)) ignored.push(`[${name}] ${k}`);
  if (ignored.length) cfg.warnings.push(`${file}: settings the runner ignores: ${ignored.join(', ')}`);
  return cfg;
}
