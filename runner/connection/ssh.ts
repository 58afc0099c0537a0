/**
 * One persistent SSH connection per host (ssh2). Commands reach the host one of two ways (the
 * `channel` option): `persistent` (the default) sends them framed to one long-lived `sh` on one
 * channel (shellChannel.ts), and `become` ones to one root `sh` opened through sudo once;
 * `exec` opens a channel per command. Either way a task costs no TCP + key exchange + auth;
 * the persistent shell also saves the sshd session and the login shell's rc files per task. Jump hosts are chained with
 * direct-tcpip channels (what `ssh -J` does), each hop verified and authenticated on its own.
 * TCP_NODELAY is set on our own socket: without it each channel request waits on delayed
 * ACKs (~40 ms a command, measured in docs/performance.md).
 *
 * A broken link (keepalive timeout, reset) fails the commands running on it as unreachable;
 * the next exec opens a new connection.
 */
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import ssh2, { type ClientChannel, type ParsedKey } from 'ssh2';

const { Client, utils } = ssh2;
type Client = InstanceType<typeof Client>;
import { UnreachableError, RunnerError } from '../model/errors.ts';
import { registerSecret } from '../model/secrets.ts';
import { DEFAULT_CHANNEL, LineSplitter, type BecomeSettings, type Connection, type ExecOptions, type ExecResult } from './connection.ts';
import { verifyHostKey, hostKeyAlgorithms, HostKeyError, fingerprint, type HostKeyChecking, type HostKeyOptions } from './knownHosts.ts';
import { ShellChannel, NoShellError, ShellClosedError, SHELL_LOOP, TASK_AGENT, type RawChannel } from './shellChannel.ts';
import { becomeCommand, sudoHandshake } from './sudo.ts';
import { quote } from '../model/shell.ts';

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

export interface SshOptions extends SshEndpoint {
  /** Jump hosts, outermost first (ProxyJump order). */
  jumps?: SshEndpoint[];
  /** Use the ssh-agent at SSH_AUTH_SOCK when set. @default true */
  agent?: boolean;
  /** Where encrypted keys get their passphrase: an env var, else a prompt (asked once per key file). */
  passphraseEnv?: string;
  askPassphrase?: (prompt: string) => Promise<string | undefined>;
  hostKeyChecking: HostKeyChecking;
  knownHostsFiles: string[];
  /** @default /etc/ssh/ssh_known_hosts, /etc/ssh/ssh_known_hosts2 */
  globalKnownHostsFiles?: string[];
  /** @default 10000 */
  connectTimeoutMs?: number;
  /** A dead link is noticed after interval × countMax. @default 5000 */
  keepaliveIntervalMs?: number;
  /** @default 3 */
  keepaliveCountMax?: number;
  become?: BecomeSettings;
  warn?: (message: string) => void;
  /**
   * `persistent`: one long-lived framed `sh` per host (and one root `sh` through sudo) runs the
   * commands; `exec`: an SSH exec channel per command. @default DEFAULT_CHANNEL
   */
  channel?: 'persistent' | 'exec';
  /**
   * What serves the persistent channel: `agent` runs tasks through the perl task agent where the
   * host has perl (one process per task), else the sh loop; `sh` always the sh loop.
   * @default 'agent'
   */
  taskRunner?: 'agent' | 'sh';
}

class ChannelBusy extends Error {}

interface EarlyExit {
  exited: boolean;
  code: number | null;
  signal?: string;
}
const earlyExit = new WeakMap<ClientChannel, EarlyExit>();

/** At most this many shells of a kind per host; more concurrent commands use exec channels. */
const MAX_SHELLS = 4;

/** Authentication failed: the host answered but would not let us in. Counted as unreachable, like Ansible. */
export class SshAuthError extends UnreachableError {}

interface Pending {
  linkLost(err: UnreachableError): void;
}

export class SshConnection implements Connection {
  readonly kind = 'ssh' as const;
  readonly host: string;
  readonly address: string;
  readonly user: string;
  become?: BecomeSettings;
  connects = 0;
  readonly strategy: 'persistent' | 'exec';
  /** Shells opened so far (user and root), for tests and the per-host log. */
  shellsOpened = { user: 0, root: 0 };
  /** Set when the host has no usable POSIX sh: the persistent strategy then falls back to exec. */
  noShell?: string;
  readonly #shells: { user: ShellChannel[]; root: ShellChannel[] } = { user: [], root: [] };
  #clients: Client[] = [];
  #connecting?: Promise<void>;
  #dead = true;
  #lastError?: Error;
  readonly #pending = new Set<Pending>();

  constructor(readonly options: SshOptions) {
    this.host = options.host;
    this.address = `${options.address}:${options.port}`;
    this.user = options.user;
    this.become = options.become;
    this.strategy = options.channel ?? DEFAULT_CHANNEL;
  }

  /** The live shells (for tests: their pids, how many tasks each ran). */
  shells(kind: 'user' | 'root' = 'user'): readonly ShellChannel[] {
    return this.#shells[kind].filter((s) => !s.dead);
  }

  async execAsRoot(command: string, options: ExecOptions = {}): Promise<ExecResult | undefined> {
    if (this.strategy !== 'persistent' || options.interact || this.noShell) return undefined;
    return this.#viaShell('root', command, options);
  }

  async #viaShell(kind: 'user' | 'root', command: string, options: ExecOptions, retried = false): Promise<ExecResult | undefined> {
    await this.connect();
    const pool = this.#shells[kind];
    for (let i = pool.length - 1; i >= 0; i--) if (pool[i]!.dead) pool.splice(i, 1);
    let sc = pool.find((s) => !s.busy);
    if (!sc) {
      if (pool.length >= MAX_SHELLS) return undefined;
      try {
        sc = await this.#openShell(kind);
      } catch (e) {
        if (e instanceof ChannelBusy) return undefined;
        if (!(e instanceof NoShellError)) throw e;
        // A link that died while the shell started is the link's failure, not the shell's.
        if (this.#dead) throw this.#fail(this.options, `cannot start the command shell: ${e.message}`, e);
        this.noShell = e.message;
        this.options.warn?.(`${this.host}: no usable POSIX sh for the persistent command channel (${e.message}); using an exec channel per command`);
        return undefined;
      }
      pool.push(sc);
    }
    const shell = sc;
    return new Promise<ExecResult | undefined>((resolve, reject) => {
      const pending: Pending = {
        linkLost: (e) => {
          this.#pending.delete(pending);
          reject(e);
          shell.gone('connection lost');
        },
      };
      this.#pending.add(pending);
      shell.run(command, options).then(
        (r) => {
          this.#pending.delete(pending);
          resolve(r);
        },
        (e) => {
          this.#pending.delete(pending);
          // Found closed before anything was sent (it died while idle): the command did not run.
          if (e instanceof ShellClosedError && !retried) this.#viaShell(kind, command, options, true).then(resolve, reject);
          else reject(e);
        },
      );
    });
  }

  async #openShell(kind: 'user' | 'root'): Promise<ShellChannel> {
    const loop = `sh -c ${quote(SHELL_LOOP)} ucw-sh`;
    const agent = this.options.taskRunner === 'sh' ? "''" : quote(TASK_AGENT);
    const timeoutMs = Math.max(this.options.connectTimeoutMs ?? 10_000, 5000);
    const b = kind === 'root' ? becomeCommand(`exec ${loop} /bin/sh ${agent}`, this.become?.password !== undefined) : undefined;
    // The user's tasks run in the login shell, as on an exec channel; root tasks in /bin/sh, as sudo's.
    const line = b ? b.line : `exec ${loop} "$SHELL" ${agent}`;
    let ch: ClientChannel;
    try {
      ch = await this.#channel(line);
    } catch (e) {
      // No channel now (the server's MaxSessions, say) says nothing about its shell: this one
      // command goes over an exec channel (which reports the failure if it is not transient).
      if (!this.#dead) throw new ChannelBusy((e as Error).message);
      await this.connect();
      ch = await this.#channel(line).catch((e2: Error) => {
        throw this.#fail(this.options, `cannot run a command: ${e2.message}`, e2);
      });
    }
    let onOut: (d: Buffer) => void = () => {};
    let onErr: (d: Buffer) => void = () => {};
    let onEnd: (code: number | null, sig?: string) => void = () => {};
    const early = earlyExit.get(ch);
    let exit: { code: number | null; sig?: string } | undefined = early?.exited ? { code: early.code, sig: early.signal } : undefined;
    ch.on('data', (d: Buffer) => onOut(d));
    ch.stderr.on('data', (d: Buffer) => onErr(d));
    ch.on('exit', (code: number | null, sig?: string) => {
      exit = { code, sig: sig ? (sig.startsWith("SIG") ? sig : `SIG${sig}`) : undefined };
      // The shell is gone even if a task's output still drains: fail that task now.
      onEnd(code, exit.sig);
    });
    ch.on('close', () => onEnd(exit?.code ?? null, exit?.sig));
    const raw: RawChannel = {
      write: (d) => {
        if (!ch.writable || exit) return false;
        ch.write(d);
        return true;
      },
      listen: (o, e) => ((onOut = o), (onErr = e)),
      close: () => ch.close(),
    };
    if (b) {
      const hs = sudoHandshake(this, b, { write: (d) => raw.write(d), kill: () => raw.close() });
      raw.listen(
        (d) => hs.onData('stdout', d),
        (d) => hs.onData('stderr', d),
      );
      onEnd = (code, sig) => hs.ended(code, sig);
      await hs.done;
    }
    const label = `${this.host}${kind === 'root' ? ' (root)' : ''}`;
    let sc: ShellChannel | undefined;
    let endedEarly: string | undefined;
    onEnd = (code, sig) => {
      const why = `the shell ended: ${sig ?? `exit ${code ?? 'unknown'}`}`;
      if (sc) sc.gone(why);
      else endedEarly = why;
    };
    const opening = ShellChannel.open(raw, label, timeoutMs);
    if (endedEarly) throw new NoShellError(endedEarly);
    sc = await opening;
    this.shellsOpened[kind]++;
    const sc2 = sc;
    onEnd = (code, sig) => {
      sc2.gone(`the shell ended: ${sig ?? `exit ${code ?? 'unknown'}`}`);
      try {
        ch.close();
      } catch {
        /* gone */
      }
    };
    return sc;
  }

  connect(): Promise<void> {
    if (!this.#dead) return Promise.resolve();
    this.#connecting ??= this.#open().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #open(): Promise<void> {
    const o = this.options;
    const chain: SshEndpoint[] = [...(o.jumps ?? []), o];
    const clients: Client[] = [];
    let sock: Duplex | undefined;
    try {
      sock = await this.#tcp(chain[0]!);
      for (const [i, ep] of chain.entries()) {
        const client = await this.#handshake(ep, sock, i < chain.length - 1);
        clients.push(client);
        const next = chain[i + 1];
        if (next) sock = await this.#forward(client, ep, next);
      }
    } catch (e) {
      for (const c of clients.reverse()) c.end();
      sock?.destroy();
      throw e;
    }
    this.#clients = clients;
    this.#lastError = undefined;
    this.#dead = false;
    this.connects++;
    for (const [i, c] of clients.entries()) {
      const via = i < clients.length - 1 ? ` (jump host ${chain[i]!.host})` : '';
      c.on('error', (e: Error) => (this.#lastError = new Error(`${e.message}${via}`)));
      c.on('close', () => {
        if (this.#clients !== clients) return;
        this.#linkDown(clients);
      });
    }
  }

  #linkDown(clients: Client[]): void {
    this.#dead = true;
    this.#clients = [];
    for (const c of clients) c.end();
    const why = this.#lastError?.message ?? 'connection closed by the remote side';
    const err = new UnreachableError(this.host, this.address, `connection lost while running a command (${why})`, { cause: this.#lastError });
    for (const p of [...this.#pending]) p.linkLost(err);
  }

  #tcp(ep: SshEndpoint): Promise<Socket> {
    const timeout = this.options.connectTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const sock = netConnect({ host: ep.address, port: ep.port });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(this.#fail(ep, `TCP connect timed out after ${timeout / 1000} s (host down or port filtered?)`));
      }, timeout);
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.setNoDelay(true);
        resolve(sock);
      });
      sock.once('error', (e) => {
        clearTimeout(timer);
        reject(this.#classify(ep, e));
      });
    });
  }

  /** A direct-tcpip channel from a jump host to the next machine: the next hop's socket. */
  #forward(client: Client, via: SshEndpoint, next: SshEndpoint): Promise<Duplex> {
    const timeout = this.options.connectTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      // The jump host's own connect() may hang on a filtered port: bound it like our TCP connect.
      const timer = setTimeout(
        () => reject(this.#fail(next, `jump host ${via.host} (${via.address}:${via.port}) could not connect to it within ${timeout / 1000} s`)),
        timeout,
      );
      client.forwardOut('127.0.0.1', 0, next.address, next.port, (err, stream) => {
        clearTimeout(timer);
        if (err) reject(this.#fail(next, `jump host ${via.host} (${via.address}:${via.port}) could not connect to it: ${err.message}`, err));
        else resolve(stream);
      });
    });
  }

  async #handshake(ep: SshEndpoint, sock: Duplex, isJump: boolean): Promise<Client> {
    const o = this.options;
    const timeout = o.connectTimeoutMs ?? 10_000;
    const keys = await loadKeys(ep, o, (msg) => this.#auth(ep, msg));
    const agentSock = (o.agent ?? true) ? process.env.SSH_AUTH_SOCK : undefined;
    type Method =
      | { type: 'agent'; username: string; agent: string }
      | { type: 'publickey'; username: string; key: ParsedKey }
      | { type: 'password'; username: string; password: string };
    const methods: { m: Method; label: string }[] = [];
    if (agentSock) methods.push({ m: { type: 'agent', username: ep.user, agent: agentSock }, label: `ssh-agent (${agentSock})` });
    for (const k of keys) {
      methods.push({ m: { type: 'publickey', username: ep.user, key: k.key }, label: `key ${k.file} (${fingerprint(k.key.getPublicSSH())})` });
    }
    if (ep.password !== undefined) methods.push({ m: { type: 'password', username: ep.user, password: ep.password }, label: 'password' });
    const tried: string[] = [];
    let offered: string[] | undefined;
    let agentError: Error | undefined;
    let hostKeyError: HostKeyError | undefined;
    let next = 0;
    const hk: HostKeyOptions = { mode: o.hostKeyChecking, files: o.knownHostsFiles, globalFiles: o.globalKnownHostsFiles, host: ep.host, address: ep.address, port: ep.port, warn: o.warn };

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
      const explain = (e: Error): Error => {
        if (hostKeyError) return hostKeyError;
        const level = (e as { level?: string }).level;
        if (level === 'client-authentication') {
          const hints: string[] = [];
          if (!agentSock && (o.agent ?? true)) hints.push('no ssh-agent (SSH_AUTH_SOCK is not set)');
          if (agentError) hints.push(`ssh-agent at ${agentSock} not usable: ${agentError.message}`);
          if (keys.length === 0) hints.push(`no identity file found (looked for ${ep.identityFiles.join(', ') || 'none'})`);
          if (ep.password === undefined && offered?.includes('password')) hints.push('no password configured (passwordEnv)');
          return this.#auth(
            ep,
            `authentication refused for user ${ep.user}: tried ${tried.join(', ') || 'nothing'}` +
              `${offered ? `; the server accepts ${offered.join(', ')}` : ''}${hints.length ? `; ${hints.join('; ')}` : ''}`,
            e,
          );
        }
        if (/Timed out while waiting for handshake/.test(e.message)) {
          return this.#fail(ep, `SSH handshake timed out after ${timeout / 1000} s (the port answers but sshd does not)`, e);
        }
        return this.#classify(ep, e);
      };
      client.on('ready', () => settle());
      client.on('error', (e: Error) => {
        if ((e as { level?: string }).level === 'agent') {
          agentError = e;
          return;
        }
        lastError = e;
        settle(explain(e));
      });
      client.on('close', () => settle(explain(lastError ?? new Error('connection closed during the SSH handshake'))));
      client.connect({
        sock,
        username: ep.user,
        readyTimeout: timeout,
        keepaliveInterval: o.keepaliveIntervalMs ?? 5000,
        keepaliveCountMax: o.keepaliveCountMax ?? 3,
        algorithms: { serverHostKey: hostKeyAlgorithms(hk) },
        hostVerifier: (key: Buffer) => {
          try {
            verifyHostKey(hk, key);
            return true;
          } catch (e) {
            hostKeyError = e as HostKeyError;
            if (isJump) hostKeyError.message = `${this.host}: through jump host ${ep.host}: ${hostKeyError.message}`;
            return false;
          }
        },
        authHandler: (methodsLeft: string[] | null, _partial: boolean | null, _cb: unknown) => {
          if (methodsLeft) offered = methodsLeft;
          while (next < methods.length) {
            const { m, label } = methods[next++]!;
            const needs = m.type === 'agent' ? 'publickey' : m.type;
            if (methodsLeft && !methodsLeft.includes(needs)) continue;
            tried.push(label);
            return m;
          }
          return false;
        },
      } as Parameters<Client['connect']>[0]);
    });
  }

  #fail(ep: SshEndpoint, msg: string, cause?: unknown): UnreachableError {
    const { host, address } = this.#where(ep);
    return new UnreachableError(host, address, msg, { cause });
  }

  #auth(ep: SshEndpoint, msg: string, cause?: unknown): SshAuthError {
    const { host, address } = this.#where(ep);
    return new SshAuthError(host, address, msg, { cause });
  }

  /** Errors at a jump host name the target first (the task's host), then the hop. */
  #where(ep: SshEndpoint): { host: string; address: string } {
    if (ep === this.options) return { host: this.host, address: this.address };
    return { host: `${this.host} via jump host ${ep.host}`, address: `${ep.address}:${ep.port}` };
  }

  #classify(ep: SshEndpoint, e: unknown): UnreachableError {
    const err = e instanceof Error ? e : new Error(String(e));
    const code = (err as { code?: string }).code;
    let msg = err.message;
    if (code === 'ECONNREFUSED') msg = 'connection refused (is sshd running on that port?)';
    else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') msg = `unknown host name ${ep.address}`;
    else if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') msg = `no route to host (${code})`;
    else if (code === 'ECONNRESET') msg = 'connection reset by the remote side';
    return this.#fail(ep, msg, err);
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (this.strategy === 'persistent' && !options.interact && !this.noShell) {
      const res = await this.#viaShell('user', command, options);
      if (res) return res;
    }
    await this.connect();
    let channel: ClientChannel;
    try {
      channel = await this.#channel(command);
    } catch (e) {
      // The channel never opened, so the command never ran: safe to reconnect once and retry.
      // This is what an idle connection that died between tasks looks like.
      if (!this.#dead) throw new RunnerError(`${this.host}: cannot open a channel: ${(e as Error).message}`, { cause: e });
      await this.connect();
      try {
        channel = await this.#channel(command);
      } catch (e2) {
        throw this.#fail(this.options, `cannot run a command: ${(e2 as Error).message}`, e2);
      }
    }
    return this.#run(channel, options);
  }

  #channel(command: string): Promise<ClientChannel> {
    const client = this.#clients.at(-1);
    if (!client || this.#dead) return Promise.reject(new Error('not connected'));
    return new Promise((resolve, reject) => {
      try {
        client.exec(command, (err, ch) => {
          if (err) return reject(err);
          // A fast command's exit status can arrive in the same TCP read as the exec reply, before
          // the caller (after an await) listens: record it now.
          const seen: EarlyExit = { exited: false, code: null };
          ch.once('exit', (code: number | null, sig?: string) => {
            seen.exited = true;
            seen.code = code;
            if (sig) seen.signal = sig.startsWith('SIG') ? sig : `SIG${sig}`;
          });
          earlyExit.set(ch, seen);
          resolve(ch);
        });
      } catch (e) {
        reject(e);
      }
    });
  }

  #run(channel: ClientChannel, options: ExecOptions): Promise<ExecResult> {
    const started = Date.now();
    return new Promise<ExecResult>((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let exitCode: number | null = null;
      let exited = false;
      let signal: string | undefined;
      let timedOut = false;
      let settled = false;
      const lines = options.onLine && {
        out: new LineSplitter((l) => options.onLine!('stdout', l)),
        err: new LineSplitter((l) => options.onLine!('stderr', l)),
      };
      // A chunk may end inside a UTF-8 character; the decoders carry the partial bytes over.
      const dec = { out: new StringDecoder('utf8'), err: new StringDecoder('utf8') };
      const kill = () => {
        try {
          channel.signal('KILL');
        } catch {
          /* the channel may already be gone */
        }
        channel.close();
      };
      channel.on('data', (d: Buffer) => {
        out.push(d);
        options.onData?.('stdout', d);
        lines?.out.push(dec.out.write(d));
      });
      channel.stderr.on('data', (d: Buffer) => {
        err.push(d);
        options.onData?.('stderr', d);
        lines?.err.push(dec.err.write(d));
      });
      const early = earlyExit.get(channel);
      if (early?.exited) {
        exited = true;
        exitCode = early.code;
        signal = early.signal;
      }
      channel.on('exit', (code: number | null, sig?: string) => {
        exited = true;
        exitCode = code;
        if (sig) signal = sig.startsWith("SIG") ? sig : `SIG${sig}`;
      });
      const timer =
        options.timeoutMs !== undefined
          ? setTimeout(() => {
              timedOut = true;
              kill();
            }, options.timeoutMs)
          : undefined;
      const pending: Pending = {
        linkLost: (e) => {
          if (settled) return;
          finish();
          reject(e);
        },
      };
      this.#pending.add(pending);
      const finish = () => {
        settled = true;
        clearTimeout(timer);
        this.#pending.delete(pending);
        lines?.out.end();
        lines?.err.end();
      };
      let graceTaken = false;
      const onClose = () => {
        if (settled) return;
        // On a dead link ssh2 closes every channel right after the client's 'close': that is
        // "unreachable", not a command that exited without a status.
        if (!exited && !timedOut && this.#dead) return; // linkLost (already called or about to be) rejects
        // Seen rarely under load: the channel's close handled before its exit-status. Give the
        // status a moment to arrive rather than report a finished command as "exit unknown".
        if (!exited && !timedOut && !graceTaken) {
          graceTaken = true;
          channel.once('exit', () => setImmediate(onClose));
          setTimeout(onClose, 200);
          return;
        }
        finish();
        resolve({
          stdout: Buffer.concat(out).toString(),
          stderr: Buffer.concat(err).toString(),
          exitCode: timedOut ? null : exitCode,
          signal: timedOut ? 'SIGKILL' : signal,
          durationMs: Date.now() - started,
          timedOut,
        });
      };
      channel.on('close', onClose);
      if (options.interact) {
        options.interact({
          write: (d) => {
            if (channel.writable) channel.write(d);
          },
          end: (d) => {
            if (channel.writable) channel.end(d);
          },
          kill,
        });
      } else channel.end(options.stdin ?? undefined);
    });
  }

  async reset(): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    const clients = this.#clients;
    this.#clients = [];
    this.#dead = true;
    for (const c of [...clients].reverse()) c.end();
    for (const sc of [...this.#shells.user, ...this.#shells.root]) sc.gone('connection closed by the runner');
    this.#shells.user = [];
    this.#shells.root = [];
    const err = new UnreachableError(this.host, this.address, 'connection closed by the runner while a command was running');
    for (const p of [...this.#pending]) p.linkLost(err);
  }
}

// ---- keys --------------------------------------------------------------------------------

interface LoadedKey {
  file: string;
  key: ParsedKey;
}

/** Keys are parsed once per file per process: an encrypted key asks for its passphrase once. */
const keyCache = new Map<string, Promise<ParsedKey | undefined>>();

/** For tests. */
export function clearKeyCache(): void {
  keyCache.clear();
}

async function loadKeys(ep: SshEndpoint, o: SshOptions, authError: (msg: string) => Error): Promise<LoadedKey[]> {
  const out: LoadedKey[] = [];
  for (const file of ep.identityFiles) {
    let p = keyCache.get(file);
    if (!p) {
      p = loadKey(file, o, authError);
      keyCache.set(file, p);
      p.catch(() => keyCache.delete(file));
    }
    const key = await p;
    if (key) out.push({ file, key });
  }
  return out;
}

async function loadKey(file: string, o: SshOptions, authError: (msg: string) => Error): Promise<ParsedKey | undefined> {
  const { readFile } = await import('node:fs/promises');
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw authError(`cannot read identity file ${file}: ${(e as Error).message}`);
  }
  let parsed = utils.parseKey(data);
  if (parsed instanceof Error) {
    if (!/encrypted|passphrase/i.test(parsed.message)) throw authError(`cannot use identity file ${file}: ${parsed.message}`);
    let pass = o.passphraseEnv ? process.env[o.passphraseEnv] : undefined;
    if (pass === undefined && o.askPassphrase) pass = await o.askPassphrase(`Passphrase for ${file}: `);
    if (pass === undefined) {
      const how = o.passphraseEnv ? `$${o.passphraseEnv} is not set` : 'set identityPassphraseEnv in the inventory, or run on a terminal to be asked';
      throw authError(`identity file ${file} is encrypted and no passphrase was given (${how})`);
    }
    registerSecret(pass);
    parsed = utils.parseKey(data, pass);
    if (parsed instanceof Error) throw authError(`wrong passphrase for identity file ${file} (${parsed.message})`);
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || !key.isPrivateKey()) throw authError(`identity file ${file} holds no private key`);
  return key;
}
