/**
 * The SSH link itself: TCP to the first machine, jump hosts chained with direct-tcpip channels
 * (what `ssh -J` does), each hop's handshake (host key checked, authenticated on its own) and the
 * keys it offers (keys.ts); then channels opened on the last hop. TCP_NODELAY is set on our own socket:
 * without it each channel request waits on delayed ACKs (~40 ms a command).
 */
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2, { type ClientChannel, type ParsedKey } from 'ssh2';
import { UnreachableError } from '../model/errors.ts';
import { retry, type RetryOptions } from '../engine/backoff.ts';
import { verifyHostKey, hostKeyAlgorithms, HostKeyError, fingerprint, type HostKeyChecking, type HostKeyOptions } from './knownHosts.ts';
import { loadKeys } from './keys.ts';
import { ProxyStream } from './proxyCommand.ts';

const { Client } = ssh2;
export type Client = InstanceType<typeof Client>;

/** One machine in the chain: a jump host or the target itself. */
export interface SshEndpoint {
  /** The name used in messages (inventory name, or the jump spec). */
  host: string;
  address: string;
  port: number;
  user: string;
  /** Private key files tried in order (after the agent). Missing files are skipped. */
  identityFiles: string[];
  /** Password authentication (already read from wherever the inventory says). */
  password?: string;
}

export interface LinkOptions extends SshEndpoint {
  /** Jump hosts, outermost first (ProxyJump order). */
  jumps?: SshEndpoint[];
  /** ssh_config's ProxyCommand, tokens expanded: the first hop's transport instead of TCP (never with `jumps`). */
  proxyCommand?: string;
  /** Use the ssh-agent at SSH_AUTH_SOCK when set. @default true */
  agent?: boolean;
  /** Where encrypted keys get their passphrase: an env var, else a prompt (asked once per key file). */
  passphraseEnv?: string;
  askPassphrase?: (prompt: string) => Promise<string | undefined>;
  hostKeyChecking: HostKeyChecking;
  knownHostsFiles: string[];
  /** Read, never written. @default DEFAULT_GLOBAL_KNOWN_HOSTS */ globalKnownHostsFiles?: string[];
  /** @default 10000 */
  connectTimeoutMs?: number;
  /** A dead link is noticed after interval × countMax. @default 5000 */
  keepaliveIntervalMs?: number;
  /** @default 3 */
  keepaliveCountMax?: number;
  warn?: (message: string) => void;
}

/** Authentication failed: the host answered but would not let us in. Counted as unreachable, like Ansible. */
export class SshAuthError extends UnreachableError {}

/** Errors at a jump host name the target first (the task's host), then the hop. */
function where(o: LinkOptions, ep: SshEndpoint): { host: string; address: string } {
  if (ep === o) return { host: o.host, address: `${o.address}:${o.port}` };
  return { host: `${o.host} via jump host ${ep.host}`, address: `${ep.address}:${ep.port}` };
}

export function unreachable(o: LinkOptions, ep: SshEndpoint, msg: string, cause?: unknown): UnreachableError {
  const { host, address } = where(o, ep);
  return new UnreachableError(host, address, msg, { cause });
}

function authFailed(o: LinkOptions, ep: SshEndpoint, msg: string, cause?: unknown): SshAuthError {
  const { host, address } = where(o, ep);
  return new SshAuthError(host, address, msg, { cause });
}

function classify(o: LinkOptions, ep: SshEndpoint, e: unknown): UnreachableError {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: string }).code;
  let msg = err.message;
  if (code === 'ECONNREFUSED') msg = 'connection refused (is sshd running on that port?)';
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') msg = `unknown host name ${ep.address}`;
  else if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') msg = `no route to host (${code})`;
  else if (code === 'ECONNRESET') msg = 'connection reset by the remote side';
  return unreachable(o, ep, msg, err);
}

/** Opens the whole chain: the clients, outermost first; the last one is the target's. */
export async function openChain(o: LinkOptions): Promise<Client[]> {
  const chain: SshEndpoint[] = [...(o.jumps ?? []), o];
  const clients: Client[] = [];
  let sock: Duplex | undefined;
  const proxy = o.proxyCommand === undefined ? undefined : new ProxyStream(o.proxyCommand);
  try {
    sock = proxy ?? (await tcp(o, chain[0]!));
    for (const [i, ep] of chain.entries()) {
      const client = await handshake(o, ep, sock, i < chain.length - 1);
      clients.push(client);
      const next = chain[i + 1];
      if (next) sock = await forward(o, client, ep, next);
    }
  } catch (e) {
    for (const c of clients.reverse()) c.end();
    sock?.destroy();
    // The proxy's own exit and words say more than "connection closed during the handshake".
    if (proxy && clients.length === 0 && !(e instanceof HostKeyError) && !(e instanceof SshAuthError)) {
      const why = (e as Error).message.replace(/^.*? unreachable: /, '');
      throw unreachable(o, o, `through ${await proxy.describe()}: ${why}`, e);
    }
    throw e;
  }
  return clients;
}

/**
 * sshd closes its listener for a moment whenever it reloads (SIGHUP re-executes it) or restarts:
 * a playbook's own "reload sshd" handler, then the next run within milliseconds, met exactly that
 * in CI. A refused connect is therefore tried again for about 2 s (100, 200, 400, 800 ms …)
 * before the host is unreachable; a host whose sshd is really down costs those 2 s once.
 */
const REFUSED_AGAIN: RetryOptions<UnreachableError> = { timeoutMs: 2000, baseMs: 100, capMs: 1000, jitterMs: 50 };

async function tcp(o: LinkOptions, ep: SshEndpoint): Promise<Socket> {
  const r = await retry<Socket, UnreachableError>(REFUSED_AGAIN, async () => {
    try {
      return { done: await tcpOnce(o, ep) };
    } catch (e) {
      if (((e as Error).cause as NodeJS.ErrnoException | undefined)?.code !== 'ECONNREFUSED') throw e;
      return { again: e as UnreachableError };
    }
  });
  const took = `${(r.elapsedMs / 1000).toFixed(1)} s`;
  if (!r.ok) throw unreachable(o, ep, `connection refused (is sshd running on that port?); ${r.attempts} tries over ${took}`, r.last.cause);
  if (r.attempts > 1)
    o.warn?.(
      `${ep.host} (${ep.address}:${ep.port}) refused the connection, then accepted it on try ${r.attempts} after ${took} (sshd reloading or restarting?)`,
    );
  return r.value;
}

function tcpOnce(o: LinkOptions, ep: SshEndpoint): Promise<Socket> {
  const timeout = o.connectTimeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const sock = netConnect({ host: ep.address, port: ep.port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(unreachable(o, ep, `TCP connect timed out after ${timeout / 1000} s (host down or port filtered?)`));
    }, timeout);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.setNoDelay(true);
      resolve(sock);
    });
    sock.once('error', (e) => {
      clearTimeout(timer);
      reject(classify(o, ep, e));
    });
  });
}

/** A direct-tcpip channel from a jump host to the next machine: the next hop's socket. */
function forward(o: LinkOptions, client: Client, via: SshEndpoint, next: SshEndpoint): Promise<Duplex> {
  const timeout = o.connectTimeoutMs ?? 10_000;
  const hop = `jump host ${via.host} (${via.address}:${via.port})`;
  return new Promise((resolve, reject) => {
    // The jump host's own connect() may hang on a filtered port: bound it like our TCP connect.
    const timer = setTimeout(() => reject(unreachable(o, next, `${hop} could not connect to it within ${timeout / 1000} s`)), timeout);
    client.forwardOut('127.0.0.1', 0, next.address, next.port, (err, stream) => {
      clearTimeout(timer);
      if (err) reject(unreachable(o, next, `${hop} could not connect to it: ${err.message}`, err));
      else resolve(stream);
    });
  });
}

type Method =
  | { type: 'agent'; username: string; agent: string }
  | { type: 'publickey'; username: string; key: ParsedKey }
  | { type: 'password'; username: string; password: string };

/** What we may offer a hop, in order: the agent, the key files, the password. */
interface Credentials {
  methods: { m: Method; label: string }[];
  agentSock?: string;
  keyCount: number;
}

async function credentials(o: LinkOptions, ep: SshEndpoint): Promise<Credentials> {
  const keys = await loadKeys(ep, o, (msg) => authFailed(o, ep, msg));
  const agentSock = (o.agent ?? true) ? process.env.SSH_AUTH_SOCK : undefined;
  const methods: Credentials['methods'] = [];
  if (agentSock) methods.push({ m: { type: 'agent', username: ep.user, agent: agentSock }, label: `ssh-agent (${agentSock})` });
  for (const k of keys) {
    methods.push({
      m: { type: 'publickey', username: ep.user, key: k.key },
      label: `key ${k.file} (${fingerprint(k.key.getPublicSSH())})`,
    });
  }
  if (ep.password !== undefined) methods.push({ m: { type: 'password', username: ep.user, password: ep.password }, label: 'password' });
  return { methods, agentSock, keyCount: keys.length };
}

/** What happened during one handshake, for the error message when it fails. */
interface Attempt {
  tried: string[];
  offered?: string[];
  agentError?: Error;
  hostKeyError?: HostKeyError;
}

function explain(o: LinkOptions, ep: SshEndpoint, cred: Credentials, a: Attempt, e: Error): Error {
  if (a.hostKeyError) return a.hostKeyError;
  const level = (e as { level?: string }).level;
  if (level === 'client-authentication') {
    const hints: string[] = [];
    if (!cred.agentSock && (o.agent ?? true)) hints.push('no ssh-agent (SSH_AUTH_SOCK is not set)');
    if (a.agentError) hints.push(`ssh-agent at ${cred.agentSock} not usable: ${a.agentError.message}`);
    if (cred.keyCount === 0) hints.push(`no identity file found (looked for ${ep.identityFiles.join(', ') || 'none'})`);
    if (ep.password === undefined && a.offered?.includes('password')) hints.push('no password configured (passwordEnv)');
    return authFailed(
      o,
      ep,
      `authentication refused for user ${ep.user}: tried ${a.tried.join(', ') || 'nothing'}` +
        `${a.offered ? `; the server accepts ${a.offered.join(', ')}` : ''}${hints.length ? `; ${hints.join('; ')}` : ''}`,
      e,
    );
  }
  if (/Timed out while waiting for handshake/.test(e.message)) {
    return unreachable(
      o,
      ep,
      `SSH handshake timed out after ${(o.connectTimeoutMs ?? 10_000) / 1000} s (the port answers but sshd does not)`,
      e,
    );
  }
  return classify(o, ep, e);
}

/** ssh2's connect settings for one hop: host key check, keepalives, the methods in order. */
function connectConfig(o: LinkOptions, ep: SshEndpoint, sock: Duplex, isJump: boolean, cred: Credentials, a: Attempt) {
  let next = 0;
  const hk: HostKeyOptions = {
    mode: o.hostKeyChecking,
    files: o.knownHostsFiles,
    globalFiles: o.globalKnownHostsFiles,
    host: ep.host,
    address: ep.address,
    port: ep.port,
    warn: o.warn,
  };
  return {
    sock,
    username: ep.user,
    readyTimeout: o.connectTimeoutMs ?? 10_000,
    keepaliveInterval: o.keepaliveIntervalMs ?? 5000,
    keepaliveCountMax: o.keepaliveCountMax ?? 3,
    algorithms: { serverHostKey: hostKeyAlgorithms(hk) },
    hostVerifier: (key: Buffer) => {
      try {
        verifyHostKey(hk, key);
        return true;
      } catch (e) {
        a.hostKeyError = e as HostKeyError;
        if (isJump) a.hostKeyError.message = `${o.host}: through jump host ${ep.host}: ${a.hostKeyError.message}`;
        return false;
      }
    },
    authHandler: (methodsLeft: string[] | null) => {
      if (methodsLeft) a.offered = methodsLeft;
      while (next < cred.methods.length) {
        const { m, label } = cred.methods[next++]!;
        const needs = m.type === 'agent' ? 'publickey' : m.type;
        if (methodsLeft && !methodsLeft.includes(needs)) continue;
        a.tried.push(label);
        return m;
      }
      return false;
    },
  } as unknown as Parameters<Client['connect']>[0];
}

async function handshake(o: LinkOptions, ep: SshEndpoint, sock: Duplex, isJump: boolean): Promise<Client> {
  const cred = await credentials(o, ep);
  const a: Attempt = { tried: [] };
  return new Promise<Client>((resolve, reject) => {
    const client = new Client();
    let settled = false;
    let lastError: Error | undefined;
    const settle = (e?: Error) => {
      if (settled) return;
      settled = true;
      if (!e) return resolve(client);
      client.end();
      reject(e);
    };
    client.on('ready', () => settle());
    client.on('error', (e: Error) => {
      if ((e as { level?: string }).level === 'agent') {
        a.agentError = e;
        return;
      }
      lastError = e;
      settle(explain(o, ep, cred, a, e));
    });
    client.on('close', () => settle(explain(o, ep, cred, a, lastError ?? new Error('connection closed during the SSH handshake'))));
    client.connect(connectConfig(o, ep, sock, isJump, cred, a));
  });
}

// ---- channels -----------------------------------------------------------------------------

export interface ExitStatus {
  exited: boolean;
  code: number | null;
  signal?: string;
}
const earlyExit = new WeakMap<ClientChannel, ExitStatus>();

/** `KILL` or `SIGKILL` from ssh2: always the `SIG` form. */
export const signalName = (sig?: string) => (sig ? (sig.startsWith('SIG') ? sig : `SIG${sig}`) : undefined);

/** An exec channel running `command` on `client`. */
export function openChannel(client: Client, command: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      client.exec(command, (err, ch) => {
        if (err) return reject(err);
        // A fast command's exit status can arrive in the same TCP read as the exec reply, before
        // the caller (after an await) listens: record it now.
        const seen: ExitStatus = { exited: false, code: null };
        ch.once('exit', (code: number | null, sig?: string) => {
          seen.exited = true;
          seen.code = code;
          seen.signal = signalName(sig);
        });
        earlyExit.set(ch, seen);
        resolve(ch);
      });
    } catch (e) {
      reject(e);
    }
  });
}

/** The exit status the channel reported before anyone listened, if it did. */
export function exitSeen(ch: ClientChannel): ExitStatus | undefined {
  return earlyExit.get(ch);
}
