/**
 * Pure selection logic: which hosts (`--limit`), which tasks (`--tags`/`--skip-tags`), and
 * in which batches (`serial`). Ansible's semantics, so admins' habits carry over.
 */
import { UsageError } from '../model/errors.ts';
import { InventoryData } from './data.ts';
import { PatternMatcher } from './patterns.ts';
import { evaluateTags, parseTagOptions } from './tags.ts';
import type { Host } from './load.ts';
import type { Serial } from '../model/dsl.ts';

// ---- --limit ---------------------------------------------------------------------------

/**
 * Ansible's host patterns (patterns.ts): `a,b` / `a:b` union · `&b` intersection · `!b`
 * exclusion · globs and `~regex` over group and host names · `g[0]`, `g[-1]`, `g[1:3]` · `@file`,
 * plus our `tag:NAME`. A term that matches nothing warns, as in Ansible; a selection that ends
 * empty is an error (Ansible carries on with no hosts — not what a rollout tool should do).
 */
export function selectHosts(
  hosts: Host[],
  groups: Map<string, Set<string>>,
  pattern: string | undefined,
  opts: { ansible?: InventoryData; warn?: (message: string) => void; play?: string | string[] } = {},
): Host[] {
  const limit = pattern?.trim() ? pattern : undefined;
  const play = opts.play ?? 'all';
  if (limit === undefined && play === 'all') return hosts;
  const data = opts.ansible ?? flatInventory(hosts, groups);
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const m = new PatternMatcher(data, { tagsOf: (h) => byName.get(h.name)?.tags ?? [] });
  const out = m
    .select(play, limit)
    .map((h) => byName.get(h.name))
    .filter((h): h is Host => !!h);
  for (const w of m.warnings) (opts.warn ?? ((x: string) => process.stderr.write(`warning: ${x}\n`)))(w);
  if (out.length === 0) {
    const what = play === 'all' ? `--limit "${limit}"` : `hosts "${play}"${limit ? ` with --limit "${limit}"` : ''}`;
    throw new UsageError(`${what} matches no host (hosts: ${hosts.map((h) => h.name).join(', ') || 'none'})`);
  }
  return out;
}

/** A TypeScript inventory as Ansible's model: `all` holds every host in order, groups their members. */
function flatInventory(hosts: Host[], groups: Map<string, Set<string>>): InventoryData {
  const data = new InventoryData();
  for (const h of hosts) data.addHost('-', h.name, 'all');
  for (const [g, members] of groups) {
    if (g === 'all') continue;
    data.addGroup('-', g);
    for (const m of members) if (data.hosts.has(m)) data.addHost('-', m, g);
  }
  data.reconcile();
  data.warnings.length = 0;
  return data;
}

// ---- --tags / --skip-tags -----------------------------------------------------------------

export interface TagFilter {
  /** Every `--tags` value (comma lists allowed), repeated options included; `['']` selects only `always`. */
  tags?: string[];
  skipTags?: string[];
}

/** Ansible's rules, including the special tags `always`, `never`, `tagged`, `untagged`, `all` (tags.ts). */
export function tagsSelect(taskTags: readonly string[], f: TagFilter): boolean {
  return evaluateTags(taskTags, parseTagOptions(f.tags, f.skipTags));
}

// ---- serial ----------------------------------------------------------------------------

/** Ansible's `pct_to_int`: floor, but at least 1. */
function sizeOf(s: number | string, total: number, what: string): number {
  if (typeof s === 'number') {
    if (!Number.isInteger(s) || s < 1)
      throw new UsageError(`invalid serial ${what}: ${s} (a whole number ≥ 1, a percentage like "25%", or a list)`);
    return s;
  }
  const m = /^(\d+(?:\.\d+)?)%$/.exec(s);
  if (!m) {
    if (/^\d+$/.test(s)) return sizeOf(Number(s), total, what);
    throw new UsageError(`invalid serial ${what}: "${s}" (a whole number ≥ 1, a percentage like "25%", or a list)`);
  }
  const pct = Number(m[1]);
  if (pct <= 0 || pct > 100) throw new UsageError(`invalid serial ${what}: "${s}" (percentage must be in (0, 100])`);
  return Math.max(1, Math.floor((pct / 100) * total));
}

/** Splits hosts into rollout batches; a ramp list's last entry repeats. */
export function serialBatches<T>(hosts: T[], serial: Serial | undefined): T[][] {
  if (hosts.length === 0) return [];
  if (serial === undefined) return [hosts];
  const ramp = Array.isArray(serial) ? serial : [serial];
  if (ramp.length === 0) throw new UsageError('invalid serial: empty list');
  const sizes = ramp.map((s, i) => sizeOf(s, hosts.length, Array.isArray(serial) ? `entry ${i + 1}` : 'value'));
  const out: T[][] = [];
  let at = 0;
  let i = 0;
  while (at < hosts.length) {
    const n = sizes[Math.min(i++, sizes.length - 1)]!;
    out.push(hosts.slice(at, at + n));
    at += n;
  }
  return out;
}

/** `maxFailPercentage` is exceeded only when strictly greater (Ansible). */
export function exceedsMaxFail(failed: number, batchSize: number, maxFailPercentage: number | undefined): boolean {
  if (maxFailPercentage === undefined || batchSize === 0) return false;
  return (failed / batchSize) * 100 > maxFailPercentage;
}

/** Parses `--serial` from the command line: `1`, `25%`, `1,5,50%`. */
export function parseSerial(text: string): Serial {
  const parts = text.split(',').map((p) => p.trim());
  const vals = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : (p as `${number}%`)));
  serialBatches([1], vals); // validates
  return vals.length === 1 ? vals[0]! : vals;
}
