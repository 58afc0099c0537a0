/**
 * Every secret the run learns (sudo, SSH, MySQL passwords, API tokens, secret file content) is
 * registered here, and every sink — logs, JSON events, journal, terminal — passes its text
 * through `mask()`, or its data through `maskedJson()` before it is serialised: JSON escapes
 * quotes, backslashes, control and (in some writers) non-ASCII characters, so a secret looked
 * for after `JSON.stringify` would be missed. Secrets are kept out of argv and remote
 * environments by construction; this is the second wall.
 */
const known = new Set<string>();
/** Longest first: a secret that contains another is masked whole, not around the shorter one. */
let ordered: string[] = [];

/** Below this a "secret" would mask ordinary words (and a real one this short protects nothing). */
const MIN_LENGTH = 3;
/** The lines of a multi-line secret are secrets too: logs are written line by line. */
const MIN_LINE_LENGTH = 6;

export function registerSecret(value: string | undefined): void {
  if (!value || value.length < MIN_LENGTH) return;
  const before = known.size;
  for (const form of encodings(value)) known.add(form);
  if (value.includes('\n')) {
    for (const line of value.split(/\r?\n/)) if (line.trim().length >= MIN_LINE_LENGTH) for (const form of encodings(line)) known.add(form);
  }
  if (known.size !== before) ordered = [...known].sort((a, b) => b.length - a.length);
}

/** The value as it is, and as it reads inside a JSON string (escaped, and escaped to ASCII). */
function encodings(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const ascii = json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return [value, json, ascii];
}

export function mask(text: string): string {
  let out = text;
  for (const s of ordered) if (out.includes(s)) out = out.split(s).join('***');
  return out;
}

/**
 * `JSON.stringify` with every string (values and keys) masked first, then the text masked as
 * well (a secret put together from two values, or one that JSON leaves as it is).
 */
export function maskedJson(value: unknown, space?: number): string {
  if (ordered.length === 0) return JSON.stringify(value, null, space);
  const text = JSON.stringify(value, maskingReplacer, space);
  return text === undefined ? text : mask(text);
}

function maskingReplacer(this: unknown, _key: string, v: unknown): unknown {
  if (typeof v === 'string') return mask(v);
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).some((k) => mask(k) !== k)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [mask(k), x]));
  }
  return v;
}

/** For tests: forget what the previous run registered. */
export function clearSecrets(): void {
  known.clear();
  ordered = [];
}
