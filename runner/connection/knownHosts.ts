/**
 * Host key verification against OpenSSH known_hosts files: plain and hashed (`|1|salt|hash`)
 * entries, `[host]:port` for non-standard ports, `@revoked` markers; the user's files and the
 * global ones (/etc/ssh/ssh_known_hosts) alike. Modes follow OpenSSH's StrictHostKeyChecking:
 * `strict` (unknown keys refused: the default), `accept-new` (keys of hosts never seen recorded),
 * `off` (anything accepted, with a warning). A host with any known key that presents another
 * one — of the same type or not — has a changed key, refused in every mode but `off`. Host key
 * algorithms are offered known-types-first (as OpenSSH does), so a server with several keys
 * presents the one we know.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UnreachableError } from '../model/errors.ts';
import { quote } from '../model/shell.ts';

export type HostKeyChecking = 'strict' | 'accept-new' | 'off';

export interface KnownHostEntry {
  marker?: '@revoked' | '@cert-authority';
  patterns: string;
  keyType: string;
  key: string;
  /** Where it was read (for "Offending … key in FILE:LINE"). */
  file?: string;
  line?: number;
}

/** OpenSSH's GlobalKnownHostsFile default. */
export const DEFAULT_GLOBAL_KNOWN_HOSTS = ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];

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

export function parseKnownHosts(text: string, file?: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const parts = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (parts[0] === '@revoked' || parts[0] === '@cert-authority') marker = parts.shift() as KnownHostEntry['marker'];
    const [patterns, keyType, key] = parts;
    if (!patterns || !keyType || !key) continue;
    out.push({ marker, patterns, keyType, key, ...(file !== undefined && { file, line: i + 1 }) });
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
  const re = new RegExp(
    '^' +
      pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
  );
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

export type Verdict =
  | { ok: true; learned?: boolean }
  | { ok: false; reason: 'changed'; known: KnownHostEntry[]; expected: string[] }
  | { ok: false; reason: 'unknown' | 'revoked' };

/** Pure: what the known_hosts entries say about this key for this host. */
export function judge(entries: KnownHostEntry[], tokens: string[], keyBlob: Buffer): Verdict {
  const b64 = keyBlob.toString('base64');
  if (entries.some((e) => e.marker === '@revoked' && e.key === b64)) return { ok: false, reason: 'revoked' };
  const known = entries.filter((e) => !e.marker && tokens.some((t) => entryMatches(e, t)));
  if (known.some((e) => e.key === b64)) return { ok: true };
  // Any known key, whatever its type: an impostor without the real key simply offers another type.
  if (known.length > 0)
    return { ok: false, reason: 'changed', known, expected: known.map((e) => fingerprint(Buffer.from(e.key, 'base64'))) };
  return { ok: false, reason: 'unknown' };
}

export interface HostKeyOptions {
  mode: HostKeyChecking;
  /** The user's files (UserKnownHostsFile), read; the first is where `accept-new` records keys. */
  files: string[];
  /** Read too, never written (GlobalKnownHostsFile). @default DEFAULT_GLOBAL_KNOWN_HOSTS */
  globalFiles?: string[];
  host: string;
  address: string;
  port: number;
  warn?: (message: string) => void;
}

const readEntries = (files: string[]) => files.filter((f) => existsSync(f)).flatMap((f) => parseKnownHosts(readFileSync(f, 'utf8'), f));
const tokensOf = (o: HostKeyOptions) => [...new Set([hostToken(o.address, o.port), hostToken(o.host, o.port)])];
const entriesOf = (o: HostKeyOptions) => readEntries([...o.files, ...(o.globalFiles ?? DEFAULT_GLOBAL_KNOWN_HOSTS)]);

/** ssh2's host key algorithms (Node 20 has ed25519), in its order of preference. */
const ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];
const algorithmsFor = (keyType: string) => (keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [keyType]);

/**
 * The host key algorithms to offer: those of the keys known for this host first (OpenSSH's
 * order), then the rest, so a server holding several keys presents the one we can check.
 */
export function hostKeyAlgorithms(opts: HostKeyOptions): string[] {
  if (opts.mode === 'off') return ALGORITHMS;
  const tokens = tokensOf(opts);
  const known = new Set(
    entriesOf(opts)
      .filter((e) => !e.marker && tokens.some((t) => entryMatches(e, t)))
      .flatMap((e) => algorithmsFor(e.keyType)),
  );
  return [...ALGORITHMS.filter((a) => known.has(a)), ...ALGORITHMS.filter((a) => !known.has(a))];
}

/** ED25519, RSA, ECDSA: the names OpenSSH prints. */
const typeName = (keyType: string) =>
  /^ssh-ed25519/.test(keyType)
    ? 'ED25519'
    : /^ssh-rsa/.test(keyType)
      ? 'RSA'
      : /^ecdsa-/.test(keyType)
        ? 'ECDSA'
        : /^ssh-dss/.test(keyType)
          ? 'DSA'
          : keyType;
const hostKeyFile = (keyType: string) => `/etc/ssh/ssh_host_${typeName(keyType).toLowerCase()}_key.pub`;

/**
 * Checks an offered key; throws HostKeyError (kept for the connection error) when refused.
 * Appends are synchronous so that many first contacts at once never interleave lines.
 */
export function verifyHostKey(opts: HostKeyOptions, keyBlob: Buffer): void {
  const fp = fingerprint(keyBlob);
  const type = keyTypeOf(keyBlob);
  const where = `${opts.address}:${opts.port}`;
  if (opts.mode === 'off') {
    opts.warn?.(`host key checking is off for ${opts.host}: accepting ${type} key ${fp} unverified`);
    return;
  }
  const tokens = tokensOf(opts);
  const v = judge(entriesOf(opts), tokens, keyBlob);
  if (v.ok) return;
  if (v.reason === 'changed') throw new HostKeyError(opts.host, where, changedMessage(opts, tokens, v.known, type, fp));
  if (v.reason === 'revoked')
    throw new HostKeyError(opts.host, where, `host key ${fp} of ${opts.host} (${opts.address}) is marked @revoked`);
  const file = opts.files[0];
  const line = `${tokens[0]} ${type} ${keyBlob.toString('base64')}`;
  if (opts.mode === 'strict' || file === undefined) {
    const accept =
      file === undefined
        ? 'there is no known_hosts file to add it to (UserKnownHostsFile none)'
        : `accept it with: echo ${quote(line)} >> ${quote(file)}`;
    throw new HostKeyError(
      opts.host,
      where,
      `unknown host key for ${opts.host} (${where}): No ${typeName(type)} host key is known for ${tokens[0]} and you have requested strict checking. ` +
        `The fingerprint for the ${typeName(type)} key sent by the remote host is ${fp}. ` +
        `If that is ${opts.host}'s key (on the host: ssh-keygen -lf ${hostKeyFile(type)}), ${accept} ` +
        `(or set hostKeyChecking: 'accept-new' to record the keys of hosts met for the first time). Host key verification failed.`,
    );
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  appendFileSync(file, line + '\n', { mode: 0o600 });
  opts.warn?.(`learned new host key for ${opts.host} (${opts.address}): ${fp}, recorded in ${file}`);
}

/** OpenSSH's warning, on one line, with the offending entries and the command that removes them. */
function changedMessage(opts: HostKeyOptions, tokens: string[], known: KnownHostEntry[], type: string, fp: string): string {
  const offending = known.map(
    (e) =>
      `Offending ${typeName(e.keyType)} key in ${e.file ?? 'known_hosts'}:${e.line ?? '?'} (${fingerprint(Buffer.from(e.key, 'base64'))})`,
  );
  const remove = [...new Set(known.map((e) => e.file).filter((f): f is string => f !== undefined))].flatMap((f) =>
    [...new Set(known.filter((e) => e.file === f).map((e) => tokens.find((t) => entryMatches(e, t))!))].map(
      (t) => `ssh-keygen -f '${f}' -R '${t}'`,
    ),
  );
  return (
    `WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY! ` +
    `Someone could be eavesdropping on you right now (man-in-the-middle attack)! It is also possible that a host key has just been changed. ` +
    `The fingerprint for the ${typeName(type)} key sent by the remote host is ${fp}. ${offending.join('. ')}. ` +
    `Host key for ${opts.host} (${opts.address}:${opts.port}) has changed and it is refused in every host key checking mode but 'off'. ` +
    `If you know why it changed (the host was reinstalled), remove the old key with: ${remove.join('; ')} and connect again. Host key verification failed.`
  );
}
