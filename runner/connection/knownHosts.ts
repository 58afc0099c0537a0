/**
 * Host key verification against OpenSSH known_hosts files: plain and hashed (`|1|salt|hash`)
 * entries, `[host]:port` for non-standard ports, `@revoked` markers. Modes follow OpenSSH's
 * StrictHostKeyChecking: `strict` (unknown keys refused), `accept-new` (unknown keys recorded),
 * `off` (anything accepted, with a warning). A changed key is refused in every mode but `off`.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UnreachableError } from '../model/errors.ts';

export type HostKeyChecking = 'strict' | 'accept-new' | 'off';

export interface KnownHostEntry {
  marker?: '@revoked' | '@cert-authority';
  patterns: string;
  keyType: string;
  key: string;
}

/** A refused host key. Unreachable, as in Ansible: the host cannot be used until someone decides. */
export class HostKeyError extends UnreachableError {}

/** `SHA256:…` as `ssh-keygen -lf` and ssh print it. */
export function fingerprint(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

/** The key type is the first SSH string of the public key blob. */
export function keyTypeOf(keyBlob: Buffer): string {
  const len = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + len).toString('ascii');
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const parts = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (parts[0] === '@revoked' || parts[0] === '@cert-authority') marker = parts.shift() as KnownHostEntry['marker'];
    const [patterns, keyType, key] = parts;
    if (!patterns || !keyType || !key) continue;
    out.push({ marker, patterns, keyType, key });
  }
  return out;
}

/** The name ssh looks up: `host` on port 22, `[host]:port` otherwise. */
export function hostToken(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function patternMatches(pattern: string, token: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(token).digest('base64') === hash;
  }
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  return re.test(token);
}

/** Does an entry's comma-separated pattern list match the host token (negations honoured)? */
export function entryMatches(entry: KnownHostEntry, token: string): boolean {
  let hit = false;
  for (const p of entry.patterns.split(',')) {
    if (p.startsWith('!')) {
      if (patternMatches(p.slice(1), token)) return false;
    } else if (patternMatches(p, token)) hit = true;
  }
  return hit;
}

export type Verdict = { ok: true; learned?: boolean } | { ok: false; reason: 'changed' | 'unknown' | 'revoked'; expected?: string[] };

/** Pure: what the known_hosts entries say about this key for this host. */
export function judge(entries: KnownHostEntry[], tokens: string[], keyBlob: Buffer): Verdict {
  const b64 = keyBlob.toString('base64');
  const type = keyTypeOf(keyBlob);
  const mine = entries.filter((e) => e.marker !== '@cert-authority' && tokens.some((t) => entryMatches(e, t)));
  if (entries.some((e) => e.marker === '@revoked' && e.key === b64)) return { ok: false, reason: 'revoked' };
  if (mine.some((e) => !e.marker && e.key === b64)) return { ok: true };
  const sameType = mine.filter((e) => !e.marker && e.keyType === type);
  if (sameType.length > 0) {
    return { ok: false, reason: 'changed', expected: sameType.map((e) => fingerprint(Buffer.from(e.key, 'base64'))) };
  }
  return { ok: false, reason: 'unknown' };
}

export interface HostKeyOptions {
  mode: HostKeyChecking;
  /** Files read, first one is where `accept-new` records keys. */
  files: string[];
  host: string;
  address: string;
  port: number;
  warn?: (message: string) => void;
}

/**
 * Checks an offered key; throws HostKeyError (kept for the connection error) when refused.
 * Appends are synchronous so that many first contacts at once never interleave lines.
 */
export function verifyHostKey(opts: HostKeyOptions, keyBlob: Buffer): void {
  const fp = fingerprint(keyBlob);
  if (opts.mode === 'off') {
    opts.warn?.(`host key checking is off for ${opts.host}: accepting ${keyTypeOf(keyBlob)} key ${fp} unverified`);
    return;
  }
  const entries = opts.files.filter((f) => existsSync(f)).flatMap((f) => parseKnownHosts(readFileSync(f, 'utf8')));
  const tokens = [...new Set([hostToken(opts.address, opts.port), hostToken(opts.host, opts.port)])];
  const v = judge(entries, tokens, keyBlob);
  if (v.ok) return;
  if (v.reason === 'changed') {
    throw new HostKeyError(
      opts.host,
      `${opts.address}:${opts.port}`,
      `HOST KEY CHANGED for ${opts.host} (${opts.address}:${opts.port}): expected ${v.expected!.join(' or ')}, offered ${fp}. ` +
        `This may be an attack, or the host was reinstalled. If you know why it changed, remove the old entry ` +
        `(ssh-keygen -R ${quoteToken(tokens[0]!)} -f ${opts.files[0]}) and connect again.`,
    );
  }
  if (v.reason === 'revoked') throw new HostKeyError(opts.host, `${opts.address}:${opts.port}`, `host key ${fp} of ${opts.host} (${opts.address}) is marked @revoked`);
  if (opts.mode === 'strict') {
    throw new HostKeyError(
      opts.host,
      `${opts.address}:${opts.port}`,
      `unknown host key for ${opts.host} (${opts.address}:${opts.port}): ${keyTypeOf(keyBlob)} ${fp}; ` +
        `host key checking is strict: add it to ${opts.files[0]} (ssh-keyscan) or use hostKeyChecking 'accept-new'`,
    );
  }
  const file = opts.files[0]!;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  appendFileSync(file, `${tokens[0]} ${keyTypeOf(keyBlob)} ${keyBlob.toString('base64')}\n`, { mode: 0o600 });
  opts.warn?.(`learned new host key for ${opts.host} (${opts.address}): ${fp}, recorded in ${file}`);
}

const quoteToken = (t: string) => (t.startsWith('[') ? `'${t}'` : t);
