/**
 * Debian version ordering, as dpkg does it (Debian Policy §5.6.12, dpkg's `verrevcmp`).
 * A version is `[epoch:]upstream[-revision]`; `~` sorts before everything, even the end of
 * the string, so `5.0~rc1 < 5.0`; digit runs compare as numbers, so `4.5.0.9 < 4.5.0.10`.
 *
 * Written here rather than taken from npm: the one package for it (deb-version-compare 1.2.1,
 * one release, no types) throws on inputs such as `1.0` vs `1.00`. This one is checked against
 * `dpkg --compare-versions` in tests/unit/modules/facts/debVersion.test.ts.
 *
 * @example
 * compareDebVersions('4.5.0.9', '4.5.0.10') // -1
 * debVersionSatisfies('1:2.0-1', '>=', '2.5') // true: the epoch wins
 */

export interface DebVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

/** Splits a version into its parts; throws on text dpkg would reject outright. */
export function parseDebVersion(text: string): DebVersion {
  const v = text.trim();
  if (v === '') throw new Error('empty version');
  if (/\s/.test(v)) throw new Error(`version ${JSON.stringify(text)} contains whitespace`);
  let epoch = 0;
  let rest = v;
  const colon = v.indexOf(':');
  if (colon >= 0) {
    const e = v.slice(0, colon);
    if (!/^\d+$/.test(e)) throw new Error(`version ${JSON.stringify(text)}: epoch "${e}" is not a number`);
    epoch = Number(e);
    rest = v.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  const upstream = dash >= 0 ? rest.slice(0, dash) : rest;
  const revision = dash >= 0 ? rest.slice(dash + 1) : '';
  if (upstream === '') throw new Error(`version ${JSON.stringify(text)}: empty upstream version`);
  return { epoch, upstream, revision };
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

/** dpkg's `order()`: digits and the end 0, `~` below everything, letters by ASCII, other signs after letters. */
function order(c: string | undefined): number {
  if (c === undefined || isDigit(c)) return 0;
  if (isAlpha(c)) return c.charCodeAt(0);
  if (c === '~') return -1;
  return c.charCodeAt(0) + 256;
}

/** dpkg's `verrevcmp` on one part (upstream or revision): <0, 0, >0. */
function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = order(a[i]);
      const bc = order(b[j]);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/** -1, 0 or 1, as `dpkg --compare-versions a lt|eq|gt b`. */
export function compareDebVersions(a: string, b: string): -1 | 0 | 1 {
  const va = parseDebVersion(a);
  const vb = parseDebVersion(b);
  const r = va.epoch !== vb.epoch ? va.epoch - vb.epoch : verrevcmp(va.upstream, vb.upstream) || verrevcmp(va.revision, vb.revision);
  return r < 0 ? -1 : r > 0 ? 1 : 0;
}

export type VersionOp = '<' | '<=' | '=' | '>=' | '>' | '!=';

/** `a op b` in Debian ordering, e.g. `debVersionSatisfies(installed, '>=', '4.5.0.10')`. */
export function debVersionSatisfies(a: string, op: VersionOp, b: string): boolean {
  const c = compareDebVersions(a, b);
  switch (op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '=':
      return c === 0;
    case '>=':
      return c >= 0;
    case '>':
      return c > 0;
    case '!=':
      return c !== 0;
  }
}
