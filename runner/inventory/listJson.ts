/**
 * What `ansible-inventory --list`, `--graph` and `--host NAME` print, from the same model:
 * the JSON with sorted keys and 4-space indents (Python's json.dumps), groups with `hosts` and
 * `children` (empty ones dropped), `_meta.hostvars` with every host's resolved variables.
 */
import type { AnsibleInventory } from './ansible.ts';
import type { InvGroup } from './data.ts';
import { VaultValue } from './yaml11.ts';

export function listInventory(inv: AnsibleInventory): Record<string, unknown> {
  const seen = new Set<string>();
  const results: Record<string, unknown> = {};
  const format = (g: InvGroup) => {
    const entry: Record<string, unknown> = {};
    results[g.name] = entry;
    if (g.name !== 'all') entry.hosts = g.hosts.map((h) => h.name);
    const children: string[] = [];
    entry.children = children;
    for (const c of g.children) {
      children.push(c.name);
      if (!seen.has(c.name)) {
        format(c);
        seen.add(c.name);
      }
    }
    for (const k of ['hosts', 'children']) if (Array.isArray(entry[k]) && (entry[k] as unknown[]).length === 0) delete entry[k];
    if (Object.keys(entry).length === 0) delete results[g.name];
  };
  format(inv.data.groups.get('all')!);
  const hostvars: Record<string, unknown> = {};
  for (const h of inv.data.groups.get('all')!.allHosts()) {
    const v = inv.hostvars(h);
    if (Object.keys(v).length) hostvars[h.name] = v;
  }
  results._meta = { hostvars };
  return results;
}

export function graphInventory(inv: AnsibleInventory, start = 'all'): string {
  const g = inv.data.groups.get(start);
  if (!g) throw new Error('Pattern must be valid group name when using --graph');
  const name = (text: string, depth: number) => (depth ? '  |'.repeat(depth) + '--' + text : text);
  const walk = (grp: InvGroup, depth: number): string[] => {
    const out = [name(`@${grp.name}:`, depth)];
    for (const c of grp.children) out.push(...walk(c, depth + 1));
    if (grp.name !== 'all') for (const h of grp.hosts) out.push(name(h.name, depth + 1));
    return out;
  };
  return walk(g, 0).join('\n') + '\n';
}

/** Python's `json.dumps(x, sort_keys=True, indent=4, ensure_ascii=False)`. */
export function pyJson(value: unknown, indent = 4): string {
  const pad = (n: number) => ' '.repeat(n * indent);
  const enc = (v: unknown, d: number): string => {
    if (v instanceof VaultValue) return enc({ __ansible_vault: v.ciphertext }, d);
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'number') return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
    if (typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
    if (Array.isArray(v)) {
      if (!v.length) return '[]';
      return '[\n' + v.map((x) => pad(d + 1) + enc(x, d + 1)).join(',\n') + '\n' + pad(d) + ']';
    }
    const keys = Object.keys(v as object).sort();
    if (!keys.length) return '{}';
    return (
      '{\n' +
      keys.map((k) => pad(d + 1) + JSON.stringify(k) + ': ' + enc((v as Record<string, unknown>)[k], d + 1)).join(',\n') +
      '\n' +
      pad(d) +
      '}'
    );
  };
  return enc(value, 0);
}
