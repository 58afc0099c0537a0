/**
 * What OpenSSH's client config (`~/.ssh/config` then `/etc/ssh/ssh_config`, or `-F FILE` alone)
 * says about a host, read with the `ssh-config` parser: HostName, User, Port, IdentityFile,
 * ProxyJump, ConnectTimeout, ServerAliveInterval/CountMax, ProxyCommand, StrictHostKeyChecking,
 * UserKnownHostsFile, GlobalKnownHostsFile. The inventory wins over every value here; this only
 * fills gaps, so a host that works with `ssh alias` works with the runner too.
 * `Include` is followed as OpenSSH does (relative to ~/.ssh, or /etc/ssh for the system file;
 * globs in the file name; 16 levels deep); one inside a Host/Match block whose files have blocks
 * of their own is refused, never skipped. `Match exec` is never evaluated (reading a config must
 * not run commands).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { basename, dirname, join, isAbsolute } from 'node:path';
import SSHConfig from 'ssh-config';
import { RunnerError } from '../model/errors.ts';
import type { HostKeyChecking } from './knownHosts.ts';

export interface SshConfigEntry {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles?: string[];
  /** ProxyJump hops, outermost first, as written (`[user@]host[:port]`). */
  proxyJump?: string[];
  /** ProxyCommand as written (tokens not yet expanded); never together with proxyJump. */
  proxyCommand?: string;
  connectTimeoutSec?: number;
  serverAliveIntervalSec?: number;
  serverAliveCountMax?: number;
  strictHostKeyChecking?: HostKeyChecking;
  /** `none` gives []. */
  userKnownHostsFiles?: string[];
  globalKnownHostsFiles?: string[];
}

export const defaultSshConfigFile = () => join(homedir(), '.ssh', 'config');
export const SYSTEM_SSH_CONFIG = '/etc/ssh/ssh_config';
/** What ssh reads without -F: the user's file, then the system-wide one. */
export const defaultSshConfigFiles = () => [defaultSshConfigFile(), SYSTEM_SSH_CONFIG];

const cache = new Map<string, SSHConfig | null>();

function load(file: string): SSHConfig | null {
  if (cache.has(file)) return cache.get(file)!;
  const parsed = existsSync(file)
    ? withIncludes(parseFile(file), file, file === SYSTEM_SSH_CONFIG ? '/etc/ssh' : join(homedir(), '.ssh'), 0)
    : null;
  cache.set(file, parsed);
  return parsed;
}

function parseFile(file: string): SSHConfig {
  try {
    return SSHConfig.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new RunnerError(`cannot parse ssh config ${file}: ${(e as Error).message}`, { cause: e });
  }
}

type Line = SSHConfig[number];
const isSection = (l: Line): l is Line & { param: string; config: SSHConfig } => 'config' in l;
const isInclude = (l: Line): l is Line & { param: string; value: string | { val: string }[] } => 'param' in l && /^include$/i.test(l.param);
const MAX_INCLUDE_DEPTH = 16; // OpenSSH's READCONF_MAX_DEPTH

/** The config with each Include replaced by the lines of the files it names, in glob order. */
function withIncludes(cfg: SSHConfig, file: string, relativeTo: string, depth: number, section?: string): SSHConfig {
  const out = SSHConfig.parse('');
  for (const line of cfg) {
    if (isSection(line)) line.config = withIncludes(line.config, file, relativeTo, depth, `${line.param} ${valueText(line)}`);
    if (!isInclude(line)) {
      out.push(line);
      continue;
    }
    if (depth >= MAX_INCLUDE_DEPTH) throw new RunnerError(`${file}: Include nested more than ${MAX_INCLUDE_DEPTH} deep (an Include loop?)`);
    for (const pattern of values(line.value)) {
      for (const inc of expandInclude(pattern, relativeTo, file)) {
        const lines = withIncludes(parseFile(inc), inc, relativeTo, depth + 1);
        const block = [...lines].find(isSection);
        if (section && block) {
          throw new RunnerError(
            `${file}: "Include ${pattern}" inside "${section}" brings ${inc}, which has blocks of its own ("${block.param} ${valueText(block)}"): ` +
              `the runner cannot apply those conditionally; move the Include out of the block`,
          );
        }
        out.push(...lines);
      }
    }
  }
  return out;
}

const values = (v: string | { val: string }[]) => (Array.isArray(v) ? v.map((x) => x.val) : v.split(/\s+/)).filter(Boolean);
const valueText = (l: Line) => ('value' in l ? values(l.value as string | { val: string }[]).join(' ') : '');

/** Files an Include pattern names: ~ and relative paths resolved, wildcards in the file name only. */
function expandInclude(pattern: string, relativeTo: string, file: string): string[] {
  const p = tilde(pattern);
  const path = isAbsolute(p) ? p : join(relativeTo, p);
  if (!/[*?[]/.test(path)) return existsSync(path) ? [path] : [];
  if (/[*?[]/.test(dirname(path)))
    throw new RunnerError(`${file}: "Include ${pattern}": wildcards are supported in the file name only, not in ${dirname(path)}`);
  if (!existsSync(dirname(path))) return [];
  const match = globName(basename(path));
  return readdirSync(dirname(path))
    .filter((f) => match.test(f))
    .sort()
    .map((f) => join(dirname(path), f));
}

/** glob(3) for one file name: `*`, `?`, `[…]` (`[!…]` negated); a leading dot is never matched by a wildcard. */
function globName(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const end = c === '[' ? pattern.indexOf(']', i + 2) : -1;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (end > 0) {
      const body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
      re += body.startsWith('!') ? `[^${body.slice(1)}]` : `[${body}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\\]\[]/g, '\\$&');
  }
  return new RegExp(`^${/^[*?[]/.test(pattern) ? '(?!\\.)' : ''}${re}$`);
}

/** For tests: forget parsed files (they are read once per run otherwise). */
export function clearSshConfigCache(): void {
  cache.clear();
}

/**
 * The settings for `host` (the alias as typed) from `files` in order (the first value of each
 * setting wins, as in ssh), or `{}` when none exists.
 */
export function lookupSshConfig(host: string, files: string | string[] = defaultSshConfigFiles()): SshConfigEntry {
  const loaded = [files]
    .flat()
    .map(load)
    .filter((c): c is SSHConfig => c !== null);
  if (loaded.length === 0) return {};
  const cfg = SSHConfig.parse('');
  for (const c of loaded) cfg.push(...c);
  const file = [files].flat().join(', ');
  const c = cfg.compute(host, { ignoreCase: true, matchExec: false });
  const one = (k: string): string | undefined => {
    const v = c[k];
    const s = Array.isArray(v) ? v[0] : v;
    return s === undefined || s === '' ? undefined : String(s);
  };
  const num = (k: string): number | undefined => {
    const s = one(k);
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isFinite(n)) throw new RunnerError(`${file}: Host ${host}: ${k} must be a number, not "${s}"`);
    return n;
  };
  const out: SshConfigEntry = {};
  const hostName = one('hostname');
  // OpenSSH expands %h in HostName to the alias; that is the only token common configs use there.
  if (hostName) out.hostName = hostName.replace(/%h/g, host);
  const user = one('user');
  if (user) out.user = user;
  const port = num('port');
  if (port !== undefined) out.port = port;
  const ids = c['identityfile'];
  if (ids !== undefined) out.identityFiles = [ids].flat().map((f) => expandTilde(String(f)));
  const jump = one('proxyjump');
  if (jump && jump.toLowerCase() !== 'none')
    out.proxyJump = jump
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const proxy = proxyCommand(c['proxycommand']);
  if (proxy && proxy.toLowerCase() !== 'none') out.proxyCommand = proxy;
  // OpenSSH takes whichever of the two comes first; the parser does not keep that order.
  if (out.proxyJump && out.proxyCommand) {
    throw new RunnerError(`${file}: Host ${host}: both ProxyJump and ProxyCommand apply; keep one (or set the other to none)`);
  }
  const ct = num('connecttimeout');
  if (ct !== undefined) out.connectTimeoutSec = ct;
  const sai = num('serveraliveinterval');
  if (sai !== undefined) out.serverAliveIntervalSec = sai;
  const sac = num('serveralivecountmax');
  if (sac !== undefined) out.serverAliveCountMax = sac;
  const shkc = one('stricthostkeychecking');
  if (shkc !== undefined) out.strictHostKeyChecking = strictness(shkc, `${file}: Host ${host}`);
  const list = (k: string) => {
    const v = c[k];
    if (v === undefined) return undefined;
    const all = [v].flat().map(String);
    return all.length === 1 && all[0]!.toLowerCase() === 'none'
      ? []
      : all.map((f) => tilde(tokens(f, host, out.hostName ?? host, `${file}: ${k}`)));
  };
  const ukh = list('userknownhostsfile');
  if (ukh) out.userKnownHostsFiles = ukh;
  const gkh = list('globalknownhostsfile');
  if (gkh) out.globalKnownHostsFiles = gkh;
  return out;
}

/** ssh's `ask` is `strict` here: no host key prompt (yet). */
function strictness(v: string, where: string): HostKeyChecking {
  const s = v.toLowerCase();
  if (s === 'yes' || s === 'ask') return 'strict';
  if (s === 'accept-new') return 'accept-new';
  if (s === 'no' || s === 'off') return 'off';
  throw new RunnerError(`${where}: StrictHostKeyChecking must be yes, ask, accept-new, no or off, not "${v}"`);
}

/** The %-tokens ssh expands in known_hosts paths that we can know; others are refused. */
function tokens(p: string, alias: string, hostName: string, where: string): string {
  return p.replace(/%(.)/g, (m, t: string) => {
    const v = ({ '%': '%', d: homedir(), u: userInfo().username, h: hostName, n: alias } as Record<string, string>)[t];
    if (v === undefined) throw new RunnerError(`${where}: the token ${m} in "${p}" is not supported (only %d %u %h %n %%)`);
    return v;
  });
}

function tilde(p: string): string {
  return p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
}

/** `[user@]host[:port]` (ProxyJump and the inventory's `jump` use the same syntax; `[v6]:port` too). */
export function parseJumpSpec(spec: string): { user?: string; host: string; port?: number } {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(spec.replace(/^ssh:\/\//, ''));
  if (!m) throw new RunnerError(`invalid jump host "${spec}" (expected [user@]host[:port])`);
  return { user: m[1], host: m[2]!.replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : undefined };
}

/** The parser splits an unquoted value into words; the command is the whole line again. */
function proxyCommand(v: unknown): string | undefined {
  if (v === undefined || v === '') return undefined;
  return Array.isArray(v) ? v.map(String).join(' ') : String(v);
}

function expandTilde(p: string): string {
  if (p === '~' || p.startsWith('~/')) return join(homedir(), p.slice(2));
  return isAbsolute(p) ? p : join(homedir(), '.ssh', p);
}
