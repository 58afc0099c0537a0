/**
 * Pure selection logic: which hosts (`--limit`), which tasks (`--tags`/`--skip-tags`), and
 * in which batches (`serial`). Ansible's semantics, so admins' habits carry over.
 */
import picomatch from 'picomatch';
import { UsageError } from '../model/errors.ts';
import type { Host } from './load.ts';
import type { Serial } from '../model/dsl.ts';

// ---- --limit ---------------------------------------------------------------------------

/**
 * `web1,db*` union · `&berlin` intersection · `!db2` exclusion · `tag:NAME` · `~regex` ·
 * globs over host and group names. Unions first, then `&`, then `!` (Ansible's order).
 * Only `&`/`!` parts: the base is every host. Matching nothing is an error, not a no-op.
 */
export function selectHosts(hosts: Host[], groups: Map<string, Set<string>>, pattern: string | undefined): Host[] {
  if (pattern === undefined || pattern.trim() === '' || pattern === 'all') return hosts;
  const parts = pattern.split(/[,:](?![^[]*\])/).map((p) => p.trim()).filter(Boolean);
  // `tag:x` must survive the split on ':'
  const atoms: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (/^[!&]?tag$/.test(p) && i + 1 < parts.length) atoms.push(`${p}:${parts[++i]}`);
    else atoms.push(p);
  }
  const plus = atoms.filter((a) => !a.startsWith('&') && !a.startsWith('!'));
  const and = atoms.filter((a) => a.startsWith('&')).map((a) => a.slice(1));
  const not = atoms.filter((a) => a.startsWith('!')).map((a) => a.slice(1));
  let chosen = new Set<string>(plus.length ? plus.flatMap((a) => matchAtom(hosts, groups, a)) : hosts.map((h) => h.name));
  for (const a of and) {
    const m = new Set(matchAtom(hosts, groups, a));
    chosen = new Set([...chosen].filter((h) => m.has(h)));
  }
  for (const a of not) for (const h of matchAtom(hosts, groups, a)) chosen.delete(h);
  const out = hosts.filter((h) => chosen.has(h.name));
  if (out.length === 0) throw new UsageError(`--limit "${pattern}" matches no host (hosts: ${hosts.map((h) => h.name).join(', ') || 'none'})`);
  return out;
}

function matchAtom(hosts: Host[], groups: Map<string, Set<string>>, atom: string): string[] {
  if (atom === '') throw new UsageError('empty --limit pattern');
  if (atom.startsWith('tag:')) {
    const tag = atom.slice(4);
    const isMatch = picomatch(tag);
    return hosts.filter((h) => h.tags.some((t) => isMatch(t))).map((h) => h.name);
  }
  if (atom.startsWith('~')) {
    let re: RegExp;
    try {
      re = new RegExp(atom.slice(1));
    } catch (e) {
      throw new UsageError(`--limit: invalid regular expression ${atom}: ${(e as Error).message}`);
    }
    return hosts.filter((h) => re.test(h.name)).map((h) => h.name);
  }
  const isMatch = picomatch(atom);
  const names = new Set(hosts.filter((h) => isMatch(h.name)).map((h) => h.name));
  for (const [g, members] of groups) if (isMatch(g)) for (const m of members) names.add(m);
  return [...names];
}

// ---- --tags / --skip-tags -----------------------------------------------------------------

export interface TagFilter {
  tags?: string[];
  skipTags?: string[];
}

/** Ansible's rules, including the special tags `always`, `never`, `tagged`, `untagged`, `all`. */
export function tagsSelect(taskTags: readonly string[], f: TagFilter): boolean {
  const tags = new Set(taskTags);
  const only = f.tags && f.tags.length ? new Set(f.tags) : new Set(['all']);
  const skip = new Set(f.skipTags ?? []);
  let run = false;
  if (tags.has('always')) run = true;
  else if (only.has('all') && !tags.has('never')) run = true;
  else if ([...tags].some((t) => only.has(t))) run = true;
  else if (only.has('tagged') && tags.size > 0 && !tags.has('never')) run = true;
  else if (only.has('untagged') && tags.size === 0) run = true;
  if (!run) return false;
  if (skip.has('all') && !(tags.has('always') && !skip.has('always'))) return false;
  if ([...tags].some((t) => skip.has(t))) return false;
  if (skip.has('tagged') && tags.size > 0) return false;
  if (skip.has('untagged') && tags.size === 0) return false;
  return true;
}

// ---- serial ----------------------------------------------------------------------------

/** Ansible's `pct_to_int`: floor, but at least 1. */
function sizeOf(s: number | string, total: number, what: string): number {
  if (typeof s === 'number') {
    if (!Number.isInteger(s) || s < 1) throw new UsageError(`invalid serial ${what}: ${s} (a whole number ≥ 1, a percentage like "25%", or a list)`);
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
