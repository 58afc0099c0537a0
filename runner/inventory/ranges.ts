/**
 * Host names, addresses and ranges as Ansible parses them (parsing/utils/addresses.py and
 * plugins/inventory expand_hostname_range): `web[01:03].example.com`, `db-[a:c]`, `host:2222`,
 * `[::1]:22`. The regular expressions are Ansible's, transcribed.
 */
import { InventoryError } from '../model/errors.ts';

const BRACKETED_HOSTPORT = /^\[(.+)\]:([0-9]+)$/;
const HOSTPORT = /^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$/;
export const IPV4 =
  /^(?:(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\])\.){3}(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\])$/i;
export const IPV6 =
  /^(?:(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]):){7}(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\])|(?:(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]):){1,6}:|(?:(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]):)(?::(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\])){1,6}|(?:(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]):){2}(?::(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\])){1,5}|(?:(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]):){3}(?::(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\])){1,4}|(?:(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]):){4}(?::(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\])){1,3}|(?:(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]):){5}(?::(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\])){1,2}|(?:(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]):){6}(?::(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]))|:(?::(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\])){1,6}|(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\])?::|(?:0:){6}(?:(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\])\.){3}(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\])|::(?:ffff:)?(?:(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\])\.){3}(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\])|(?:0:){5}ffff:(?:(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\])\.){3}(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\])$/i;
const HOSTNAME =
  /^(?:[\p{L}\p{N}_]|\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\])(?:[\p{L}\p{N}_-]|\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\])*(?<![_-])(?:\.(?:[\p{L}\p{N}_]|\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\])(?:[\p{L}\p{N}_-]|\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\])*(?<![_-]))*$/iu;

/** Ansible's parse_address: `(host, port)`, or an error when it is no host identifier at all. */
export function parseAddress(address: string, allowRanges = false): { host: string; port?: number } {
  let port: number | undefined;
  for (const re of [BRACKETED_HOSTPORT, HOSTPORT]) {
    const m = re.exec(address);
    if (m) {
      address = m[1]!;
      port = Number(m[2]);
    }
  }
  let host: string | undefined;
  for (const re of [IPV4, IPV6, HOSTNAME]) if (re.test(address)) host = address;
  if (!host) throw new Error(`Not a valid network hostname: ${address}`);
  if (!allowRanges && host.includes('[')) throw new Error('Detected range in host but was asked to ignore ranges');
  return { host, port };
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** `db[01:10:3]node-[a:c]` → every name, first range outermost (Ansible's recursion). */
export function expandHostnameRange(file: string, line: string): string[] {
  const open = line.indexOf('[');
  const close = line.indexOf(']', open);
  // Python: replace the first '[' and the first ']' by '|' and split — a ']' before '[' breaks it.
  const first = line.indexOf(']');
  if (first < open || close < 0) throw new InventoryError(file, `host range has unbalanced brackets: ${line}`);
  const head = line.slice(0, open);
  const nrange = line.slice(open + 1, close);
  const tail = line.slice(close + 1);
  if (tail.includes('|') || head.includes('|') || nrange.includes('|')) throw new InventoryError(file, `invalid host range: ${line}`);
  const bounds = nrange.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) throw new InventoryError(file, 'host range must be begin:end or begin:end:step');
  let [beg, end] = bounds as [string, string];
  const stepText = bounds[2] ?? '1';
  if (!beg) beg = '0';
  if (!end) throw new InventoryError(file, 'host range must specify end value');
  let fill = (x: string | number) => String(x);
  if (beg[0] === '0' && beg.length > 1) {
    const len = beg.length;
    if (len !== end.length) throw new InventoryError(file, 'host range must specify equal-length begin and end formats');
    fill = (x) => String(x).padStart(len, '0');
  }
  const step = pyInt(file, stepText);
  if (step <= 0) throw new InventoryError(file, `host range step must be positive: ${line}`);
  let seq: (string | number)[];
  const ib = beg.length === 1 ? LETTERS.indexOf(beg) : -1;
  const ie = end.length === 1 ? LETTERS.indexOf(end) : -1;
  if (ib >= 0 && ie >= 0) {
    if (ib > ie) throw new InventoryError(file, 'host range must have begin <= end');
    seq = [];
    for (let i = ib; i <= ie; i += step) seq.push(LETTERS[i]!);
  } else {
    const b = pyInt(file, beg);
    const e = pyInt(file, end);
    seq = [];
    for (let i = b; i <= e; i += step) seq.push(i);
  }
  const out: string[] = [];
  for (const r of seq) {
    const name = head + fill(r) + tail;
    if (name.includes('[')) out.push(...expandHostnameRange(file, name));
    else out.push(name);
  }
  return out;
}

function pyInt(file: string, s: string): number {
  if (!/^\s*[-+]?\d+\s*$/.test(s)) throw new InventoryError(file, `invalid literal for int() with base 10: '${s}'`);
  return Number(s);
}

/** BaseInventoryPlugin._expand_hostpattern: names (ranges expanded) and an optional port. */
export function expandHostPattern(file: string, pattern: string): { names: string[]; port?: number } {
  let host = pattern;
  let port: number | undefined;
  try {
    ({ host, port } = parseAddress(pattern, true));
  } catch {
    // not a recognisable host pattern: taken as written
  }
  return { names: host.includes('[') ? expandHostnameRange(file, host) : [host], port };
}
