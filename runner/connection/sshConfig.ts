/**
 * What OpenSSH's client config (`~/.ssh/config`, or `-F FILE`) says about a host, read with the
 * `ssh-config` parser: HostName, User, Port, IdentityFile, ProxyJump, ConnectTimeout,
 * ServerAliveInterval/CountMax, ProxyCommand. The inventory wins over every value here; this only fills gaps,
 * so a host that works with `ssh alias` works with the runner too.
 * `Match exec` is never evaluated (reading a config must not run commands); `Include` is not followed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, isAbsolute } from 'node:path';
import SSHConfig from 'ssh-config';
import { RunnerError } from '../model/errors.ts';

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
}

export const defaultSshConfigFile = () => join(homedir(), '.ssh', 'config');

const cache = new Map<string, SSHConfig | null>();

function load(file: string): SSHConfig | null {
  if (cache.has(file)) return cache.get(file)!;
  let parsed: SSHConfig | null = null;
  if (existsSync(file)) {
    try {
      parsed = SSHConfig.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new RunnerError(`cannot parse ssh config ${file}: ${(e as Error).message}`, { cause: e });
    }
  }
  cache.set(file, parsed);
  return parsed;
}

/** For tests: forget parsed files (they are read once per run otherwise). */
export function clearSshConfigCache(): void {
  cache.clear();
}

/** The settings for `host` (the alias as typed), or `{}` when the file does not exist. */
export function lookupSshConfig(host: string, file: string = defaultSshConfigFile()): SshConfigEntry {
  const cfg = load(file);
  if (!cfg) return {};
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
  if (jump && jump.toLowerCase() !== 'none') out.proxyJump = jump.split(',').map((s) => s.trim()).filter(Boolean);
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
  return out;
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
