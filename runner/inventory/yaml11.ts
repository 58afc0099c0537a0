/**
 * YAML as Ansible reads it: PyYAML's YAML 1.1 resolver, not the 1.2 spec. The `yaml` package
 * parses (syntax, anchors, positions, scalar styles); resolving plain scalars to types is done
 * here with PyYAML's own regular expressions, so `yes`/`off` are booleans, `y`/`n` stay strings,
 * `0755` is octal, `0o17` is a string, `1:30` is 90, `1_000` is 1000 and `1e3` is a string.
 * Duplicate keys warn (last wins), like Ansible's constructor; `!vault` and `!unsafe` are Ansible's.
 *
 * @example
 * parseYaml11('mode: 0755\nenabled: yes\n', 'vars.yml', console.warn) // { mode: 493, enabled: true }
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type { Document, Node, Pair } from 'yaml';
import { InventoryError } from '../model/errors.ts';

// `yaml` takes ~25 ms to load, a tenth of a run's start-up: only runs that read YAML pay for it.
let lib: typeof Yaml | undefined;
const y = (): typeof Yaml => (lib ??= createRequire(import.meta.url)('yaml') as typeof Yaml);

/** An `!vault` value: decrypted later, when a vault password is known. */
export class VaultValue {
  constructor(
    readonly ciphertext: string,
    readonly file: string,
    readonly line: number,
  ) {}
}

// PyYAML 6 resolver.py, verbatim (re.X whitespace removed).
const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const NULL = /^(?:~|null|Null|NULL|)$/;
const TIMESTAMP =
  /^(?:([0-9]{4})-([0-9]{2})-([0-9]{2})|([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)$/;

const T = 'tag:yaml.org,2002:';

export function constructInt(text: string): number {
  let v = text.replace(/_/g, '');
  let sign = 1;
  if (v[0] === '-') sign = -1;
  if (v[0] === '+' || v[0] === '-') v = v.slice(1);
  if (v === '0') return 0;
  if (v.startsWith('0b')) return sign * parseInt(v.slice(2), 2);
  if (v.startsWith('0x')) return sign * parseInt(v.slice(2), 16);
  if (v[0] === '0') return sign * parseInt(v, 8);
  if (v.includes(':')) return sign * sexagesimal(v, Number);
  return sign * Number(v);
}

function constructFloat(text: string): number {
  let v = text.replace(/_/g, '').toLowerCase();
  let sign = 1;
  if (v[0] === '-') sign = -1;
  if (v[0] === '+' || v[0] === '-') v = v.slice(1);
  if (v === '.inf') return sign * Infinity;
  if (v === '.nan') return NaN;
  if (v.includes(':')) return sign * sexagesimal(v, parseFloat);
  return sign * parseFloat(v);
}

function sexagesimal(v: string, num: (s: string) => number): number {
  return v.split(':').reduce((acc, part) => acc * 60 + num(part), 0);
}

/** Python's `datetime.isoformat()` of what PyYAML builds, which is what Ansible's JSON shows. */
function constructTimestamp(m: RegExpExecArray): string {
  const pad = (s: string | undefined, n = 2) => (s ?? '0').padStart(n, '0');
  if (m[1]) return `${m[1]}-${m[2]}-${m[3]}`;
  let out = `${m[4]}-${pad(m[5])}-${pad(m[6])}T${pad(m[7])}:${m[8]}:${m[9]}`;
  const frac = (m[10] ?? '').slice(0, 6).padEnd(6, '0');
  if (m[10] !== undefined && Number(frac) !== 0) out += `.${frac}`;
  if (m[11] === 'Z') out += '+00:00';
  else if (m[12]) out += `${m[12]}${pad(m[13])}:${pad(m[14])}`;
  return out;
}

/** PyYAML's implicit resolution of a plain scalar. */
export function resolvePlain(text: string): unknown {
  if (NULL.test(text)) return null;
  if (BOOL.test(text)) return ['yes', 'true', 'on'].includes(text.toLowerCase());
  if (INT.test(text)) return constructInt(text);
  if (FLOAT.test(text)) return constructFloat(text);
  const ts = TIMESTAMP.exec(text);
  if (ts) return constructTimestamp(ts);
  return text;
}

interface Ctx {
  file: string;
  doc: Document;
  lines: Yaml.LineCounter;
  warn: (message: string) => void;
}

function pos(ctx: Ctx, node: { range?: [number, number, number] | null } | null | undefined) {
  const at = ctx.lines.linePos(node?.range?.[0] ?? 0);
  return { line: at.line, col: at.col };
}

function fail(ctx: Ctx, node: Node | null | undefined, message: string): never {
  const { line, col } = pos(ctx, node);
  throw new InventoryError(ctx.file, `invalid YAML at line ${line}, column ${col}: ${message}`);
}

function construct(ctx: Ctx, node: Node | null | undefined, depth = 0): unknown {
  if (depth > 100) fail(ctx, node, 'nesting too deep (recursive alias?)');
  if (node === null || node === undefined) return null;
  if (y().isAlias(node)) return construct(ctx, node.resolve(ctx.doc) as Node | undefined, depth + 1);
  if (y().isScalar(node)) return scalar(ctx, node as Node & { value: unknown; type?: string; tag?: string });
  if (y().isSeq(node)) {
    if (node.tag && node.tag !== `${T}seq`) fail(ctx, node, `could not determine a constructor for the tag '${node.tag}'`);
    return node.items.map((n) => construct(ctx, n as Node, depth + 1));
  }
  if (y().isMap(node)) {
    if (node.tag && node.tag !== `${T}map`) fail(ctx, node, `could not determine a constructor for the tag '${node.tag}'`);
    const out: Record<string, unknown> = {};
    const { line, col } = pos(ctx, node);
    for (const pair of flatten(ctx, node.items as Pair[], depth)) {
      const k = construct(ctx, pair.key as Node, depth + 1);
      if (k !== null && typeof k === 'object') fail(ctx, pair.key as Node, 'found unhashable key');
      const key = String(k);
      if (Object.prototype.hasOwnProperty.call(out, key)) {
        ctx.warn(
          `While constructing a mapping from ${ctx.file}, line ${line}, column ${col}, found a duplicate dict key (${key}). Using last defined value only.`,
        );
      }
      Object.defineProperty(out, key, {
        value: construct(ctx, pair.value as Node, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  fail(ctx, node, 'unexpected node');
}

const isMergeKey = (k: unknown) =>
  y().isScalar(k) && (k as { type?: string }).type === 'PLAIN' && (k as { value: unknown }).value === '<<' && !(k as { tag?: string }).tag;

/** PyYAML's flatten_mapping: merged pairs first (later sources lose), then the mapping's own. */
function flatten(ctx: Ctx, items: Pair[], depth: number): Pair[] {
  const merged: Pair[] = [];
  const own: Pair[] = [];
  for (const pair of items) {
    if (!isMergeKey(pair.key)) {
      own.push(pair);
      continue;
    }
    let v = pair.value as Node | null;
    if (y().isAlias(v)) v = v.resolve(ctx.doc) as Node;
    const mapOf = (n: Node | null): Pair[] => {
      if (y().isAlias(n)) n = n.resolve(ctx.doc) as Node;
      if (!y().isMap(n)) fail(ctx, n ?? v, 'expected a mapping for merging');
      return flatten(ctx, n.items as Pair[], depth + 1);
    };
    if (y().isSeq(v)) for (const sub of [...v.items].reverse()) merged.push(...mapOf(sub as Node));
    else merged.push(...mapOf(v));
  }
  return [...merged, ...own];
}

function scalar(ctx: Ctx, node: Node & { value: unknown; type?: string; tag?: string }): unknown {
  const text = String(node.value ?? '');
  const tag = node.tag;
  if (tag === '!vault') return new VaultValue(text, ctx.file, pos(ctx, node).line);
  if (tag === '!unsafe' || tag === `${T}str`) return text;
  if (tag === `${T}int`) {
    if (!INT.test(text)) fail(ctx, node, `invalid int: ${text}`);
    return constructInt(text);
  }
  if (tag === `${T}float`) return constructFloat(text);
  if (tag === `${T}bool`) {
    const b = { yes: true, no: false, true: true, false: false, on: true, off: false }[text.toLowerCase()];
    if (b === undefined) fail(ctx, node, `invalid bool: ${text}`);
    return b;
  }
  if (tag === `${T}null`) return null;
  if (tag === `${T}timestamp`) {
    const m = TIMESTAMP.exec(text);
    if (!m) fail(ctx, node, `invalid timestamp: ${text}`);
    return constructTimestamp(m);
  }
  if (tag && tag !== '!') fail(ctx, node, `could not determine a constructor for the tag '${tag}'`);
  if (node.type !== 'PLAIN' || tag === '!') return text;
  if (text === '=') fail(ctx, node, "could not determine a constructor for the tag 'tag:yaml.org,2002:value'");
  return resolvePlain(text);
}

/**
 * Parses one YAML document as Ansible does (JSON first, then PyYAML's YAML 1.1).
 * An empty document is `null`. `warn` receives Ansible's duplicate-key warnings.
 */
export function parseYaml11(text: string, file: string, warn: (message: string) => void = () => {}): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.parse(text);
    } catch {
      // not JSON: YAML below, like Ansible's from_yaml
    }
  }
  const lines = new (y().LineCounter)();
  const doc = y().parseDocument(text, {
    version: '1.1',
    schema: 'failsafe',
    uniqueKeys: false,
    merge: false,
    lineCounter: lines,
    prettyErrors: false,
  });
  const ctx: Ctx = { file, doc, lines, warn };
  const err = doc.errors[0];
  if (err) {
    const at = lines.linePos(err.pos[0]);
    throw new InventoryError(file, `invalid YAML at line ${at.line}, column ${at.col}: ${err.message.split('\n')[0]}`);
  }
  return construct(ctx, doc.contents as Node | null);
}
