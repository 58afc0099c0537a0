/**
 * Ansible's host patterns (inventory/manager.py), for playbook `hosts:` and `--limit`:
 * `a,b` or `a:b` unions, `&b` intersections, `!b` exclusions (applied in that order), globs
 * (fnmatch, whole name), `~regex` (Python re.match: anchored at the start only), all tried on
 * group names then host names, subscripts `g[0]`, `g[-1]`, `g[1:3]`, `g[2:]` over the group's
 * own host order, `@file` limits, and the implicit `localhost`. Our `tag:NAME` term is kept.
 *
 * @example
 * evaluatePattern(inv, 'webservers:&berlin:!web3').hosts.map((h) => h.name)
 */
import { readFileSync, statSync } from 'node:fs';
import { UsageError } from '../model/errors.ts';
import { LOCALHOST, type InventoryData, type InvHost } from './data.ts';
import { parseAddress } from './ranges.ts';

/** Ansible's split_host_pattern: commas, else `:` unless the whole is one address or range. */
export function splitHostPattern(pattern: string | string[]): string[] {
  if (Array.isArray(pattern)) return pattern.flatMap((p) => splitHostPattern(p));
  let parts: string[];
  if (pattern.includes(',')) parts = pattern.split(',');
  else {
    try {
      parseAddress(pattern, true);
      parts = [pattern];
    } catch {
      parts = pattern.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? [];
    }
  }
  return parts.map((p) => p.trim()).filter(Boolean);
}

/** Joins `tag` `:` `NAME` back together after a ':' split, so `tag:x` stays one term. */
function keepTagTerms(parts: string[], original: string): string[] {
  if (!/(?:^|[,:&!])tag:/.test(original)) return parts;
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (/^[!&]?tag$/.test(p) && i + 1 < parts.length) out.push(`${p}:${parts[++i]}`);
    else out.push(p);
  }
  return out;
}

const SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/s;

/** Python's fnmatch.translate, matched against the whole name. */
export function fnmatchRegExp(pat: string): RegExp {
  let re = '';
  for (let i = 0; i < pat.length; i++) {
    const c = pat[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      let j = i + 1;
      if (pat[j] === '!') j++;
      if (pat[j] === ']') j++;
      while (j < pat.length && pat[j] !== ']') j++;
      if (j >= pat.length) re += '\\[';
      else {
        let stuff = pat.slice(i + 1, j).replace(/\\/g, '\\\\');
        i = j;
        if (stuff[0] === '!') stuff = '^' + stuff.slice(1);
        else if (stuff[0] === '^') stuff = '\\' + stuff;
        re += `[${stuff}]`;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^(?:${re})$`, 's');
}

/** `~regex` as Python's re.match: anchored at the start, free at the end. */
function pyRegExp(src: string, term: string): RegExp {
  try {
    return new RegExp(`^(?:${src.replace(/\(\?P<(\w+)>/g, '(?<$1>').replace(/\(\?P=(\w+)\)/g, '\\k<$1>')})`, 'u');
  } catch (e) {
    throw new UsageError(`Invalid host list pattern: ${term} (invalid regular expression: ${(e as Error).message})`);
  }
}

export interface PatternResult {
  hosts: InvHost[];
  /** Ansible's "Could not match supplied host pattern, ignoring: X" warnings. */
  warnings: string[];
}

export interface HostTags {
  /** The runner's own host tags, for the `tag:NAME` extension. */
  tagsOf?: (h: InvHost) => readonly string[];
}

export class PatternMatcher {
  private readonly cache = new Map<string, InvHost[]>();
  readonly warnings: string[] = [];
  constructor(
    private readonly inv: InventoryData,
    private readonly opts: HostTags = {},
  ) {}

  /** Ansible's get_hosts(pattern) with an optional subset (`--limit`), deduplicated, in order. */
  select(pattern: string | string[], limit?: string | string[]): InvHost[] {
    const original = Array.isArray(pattern) ? pattern.join(',') : pattern;
    let hosts = this.evaluate(keepTagTerms(splitHostPattern(pattern), original));
    if (limit !== undefined) {
      const sub = new Set(this.evaluate(this.subset(limit)));
      hosts = hosts.filter((h) => sub.has(h));
    }
    return [...new Set(hosts)];
  }

  /** Ansible's subset(): split, and `@file` replaced by the file's lines. */
  private subset(limit: string | string[]): string[] {
    const original = Array.isArray(limit) ? limit.join(',') : limit;
    const out: string[] = [];
    for (const x of keepTagTerms(splitHostPattern(limit), original)) {
      if (x[0] !== '@') {
        out.push(x);
        continue;
      }
      const f = x.slice(1);
      let st;
      try {
        st = statSync(f);
      } catch {
        throw new UsageError(`Unable to find limit file ${f}`);
      }
      if (!st.isFile()) throw new UsageError(`Limit starting with "@" must be a file, not a directory: ${f}`);
      out.push(
        ...readFileSync(f, 'utf8')
          .split('\n')
          .map((l) => l.trim()),
      );
    }
    return out;
  }

  private evaluate(patterns: string[]): InvHost[] {
    const regular = patterns.filter((p) => p && p[0] !== '!' && p[0] !== '&');
    const and = patterns.filter((p) => p && p[0] === '&');
    const not = patterns.filter((p) => p && p[0] === '!');
    let hosts: InvHost[] = [];
    for (const p of [...(regular.length ? regular : ['all']), ...and, ...not]) {
      const exact = this.inv.hosts.get(p);
      if (exact) {
        hosts.push(exact);
        continue;
      }
      const that = this.matchOne(p);
      if (p[0] === '!') {
        const s = new Set(that);
        hosts = hosts.filter((h) => !s.has(h));
      } else if (p[0] === '&') {
        const s = new Set(that);
        hosts = hosts.filter((h) => s.has(h));
      } else {
        const names = new Set(hosts.map((h) => h.name));
        hosts.push(...that.filter((h) => !names.has(h.name)));
      }
    }
    return hosts;
  }

  private matchOne(pattern: string): InvHost[] {
    if (pattern[0] === '&' || pattern[0] === '!') pattern = pattern.slice(1);
    const cached = this.cache.get(pattern);
    if (cached) return cached;
    const { expr, sub } = splitSubscript(pattern);
    let hosts = this.enumerate(expr);
    if (sub && hosts.length) {
      const [start, end] = sub;
      const at = (i: number) => (i < 0 ? hosts.length + i : i);
      if (end !== undefined && end !== 0) {
        const e = end === -1 ? hosts.length - 1 : end;
        hosts = hosts.slice(at(start), e + 1 < 0 ? hosts.length + e + 1 : e + 1);
      } else {
        const h = hosts[at(start)];
        if (!h || at(start) < 0) throw new UsageError(`No hosts matched the subscripted pattern '${pattern}'`);
        hosts = [h];
      }
    }
    this.cache.set(pattern, hosts);
    return hosts;
  }

  private enumerate(pattern: string): InvHost[] {
    if (pattern.startsWith('tag:') && this.opts.tagsOf) {
      const re = fnmatchRegExp(pattern.slice(4));
      const hits = this.inv.groups
        .get('all')!
        .allHosts()
        .filter((h) => this.opts.tagsOf!(h).some((t) => re.test(t)));
      if (!hits.length) this.warn(pattern);
      return hits;
    }
    const re = pattern[0] === '~' ? pyRegExp(pattern.slice(1), pattern) : fnmatchRegExp(pattern);
    const results: InvHost[] = [];
    const groups = [...this.inv.groups.keys()].filter((g) => re.test(g));
    for (const g of groups) results.push(...this.inv.groups.get(g)!.allHosts());
    if (!groups.length || pattern[0] === '~' || ['.', '?', '*', '['].some((c) => pattern.includes(c))) {
      for (const [name, h] of this.inv.hosts) if (re.test(name)) results.push(h);
    }
    if (!results.length && LOCALHOST.includes(pattern)) {
      const l = this.inv.getHost(pattern);
      if (l) results.push(l);
    }
    if (!results.length && !groups.length && pattern !== 'all') this.warn(pattern);
    return results;
  }

  private warn(pattern: string): void {
    const w = `Could not match supplied host pattern, ignoring: ${pattern}`;
    if (!this.warnings.includes(w)) this.warnings.push(w);
  }
}

function splitSubscript(pattern: string): { expr: string; sub?: [number, number | undefined] } {
  if (pattern[0] === '~') return { expr: pattern };
  const m = SUBSCRIPT.exec(pattern);
  if (!m) return { expr: pattern };
  if (m[2] !== undefined) return { expr: m[1]!, sub: [Number(m[2]), undefined] };
  return { expr: m[1]!, sub: [Number(m[3]), m[5] ? Number(m[5]) : -1] };
}
