/**
 * One persistent SSH connection per host (ssh2-promise over ssh2); every command is a new
 * channel on it, so a task costs a channel open, not a TCP + key exchange + auth.
 * TCP_NODELAY is set on our own socket: without it each channel request waits on delayed
 * ACKs (~40 ms a command, measured in docs/performance.md).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import SSH2Promise from 'ssh2-promise';
import type { ClientChannel } from 'ssh2';
import { UnreachableError, RunnerError } from '../errors.ts';
import { LineSplitter, type Connection, type ExecOptions, type ExecResult } from './connection.ts';
import { verifyHostKey, HostKeyError, type HostKeyChecking } from './knownHosts.ts';

export interface SshOptions {
  host: string;
  address: string;
  port: number;
  user: string;
  /** Private key files tried in order (after the agent). */
  identityFiles: string[];
  /** Use the ssh-agent at SSH_AUTH_SOCK when set. @default true */
  agent?: boolean;
  /** Password authentication (already read from wherever the inventory says). */
  password?: string;
  hostKeyChecking: HostKeyChecking;
  knownHostsFiles: string[];
  /** @default 10000 */
  connectTimeoutMs?: number;
  /** A dead link is noticed after interval × countMax. @default 5000 */
  keepaliveIntervalMs?: number;
  /** @default 3 */
  keepaliveCountMax?: number;
  warn?: (message: string) => void;
}

type SshSession = InstanceType<typeof SSH2Promise.SSH>;

export class SshConnection implements Connection {
  readonly kind = 'ssh' as const;
  readonly host: string;
  readonly address: string;
  readonly user: string;
  #ssh?: SSH2Promise;
  #session?: SshSession;
  #connecting?: Promise<void>;
  #dead = true;
  #lastError?: Error;
  #sock?: Socket;
  readonly #channels = new Set<ClientChannel>();

  constructor(readonly options: SshOptions) {
    this.host = options.host;
    this.address = `${options.address}:${options.port}`;
    this.user = options.user;
  }

  connect(): Promise<void> {
    if (!this.#dead) return Promise.resolve();
    this.#connecting ??= this.#open().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #open(): Promise<void> {
    const o = this.options;
    const timeout = o.connectTimeoutMs ?? 10_000;
    let hostKeyError: HostKeyError | undefined;
    const sock = await this.#tcp(timeout);
    this.#sock = sock;
    const privateKey = o.identityFiles.map((f) => readKey(f, o.host)).find((k) => k !== undefined);
    const agent = (o.agent ?? true) ? process.env.SSH_AUTH_SOCK : undefined;
    const ssh = new SSH2Promise(
      {
        sock,
        host: o.address,
        port: o.port,
        username: o.user,
        privateKey,
        agent,
        password: o.password,
        tryKeyboard: false,
        readyTimeout: timeout,
        keepaliveInterval: o.keepaliveIntervalMs ?? 5000,
        keepaliveCountMax: o.keepaliveCountMax ?? 3,
        reconnect: false,
        hostVerifier: (key: Buffer) => {
          try {
            verifyHostKey(
              { mode: o.hostKeyChecking, files: o.knownHostsFiles, host: o.host, address: o.address, port: o.port, warn: o.warn },
              key,
            );
            return true;
          } catch (e) {
            hostKeyError = e as HostKeyError;
            return false;
          }
        },
      } as ConstructorParameters<typeof SSH2Promise>[0],
      true,
    );
    try {
      this.#session = (await ssh.connect()) as SshSession;
    } catch (e) {
      sock.destroy();
      if (hostKeyError) throw hostKeyError;
      throw this.#unreachable(e);
    }
    this.#ssh = ssh;
    this.#dead = false;
    const markDead = (_c: unknown, payload?: { err?: Error }) => {
      this.#dead = true;
      this.#lastError = payload?.err ?? this.#lastError;
      for (const ch of this.#channels) ch.emit('link-lost');
    };
    this.#session.on('ssh:disconnect', markDead);
  }

  #tcp(timeoutMs: number): Promise<Socket> {
    const o = this.options;
    return new Promise((resolve, reject) => {
      const sock = netConnect({ host: o.address, port: o.port });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new UnreachableError(o.host, this.address, `TCP connect timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.setNoDelay(true);
        resolve(sock);
      });
      sock.once('error', (e) => {
        clearTimeout(timer);
        reject(this.#unreachable(e));
      });
    });
  }

  #unreachable(e: unknown): UnreachableError {
    const err = e instanceof Error ? e : new Error(String(e));
    const level = (err as { level?: string }).level;
    const code = (err as { code?: string }).code;
    let msg = err.message;
    if (level === 'client-authentication') msg = `authentication refused for user ${this.user} (tried ${this.#authMethods()})`;
    else if (code === 'ECONNREFUSED') msg = 'connection refused (is sshd running on that port?)';
    else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') msg = `unknown host name ${this.options.address}`;
    else if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') msg = `no route to host (${code})`;
    return new UnreachableError(this.host, this.address, msg, { cause: err });
  }

  #authMethods(): string {
    const m: string[] = [];
    if ((this.options.agent ?? true) && process.env.SSH_AUTH_SOCK) m.push('agent');
    if (this.options.identityFiles.length) m.push(`keys ${this.options.identityFiles.join(', ')}`);
    if (this.options.password) m.push('password');
    return m.join(', ') || 'no method configured';
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    await this.connect();
    const started = Date.now();
    let channel: ClientChannel;
    try {
      channel = await this.#session!.spawn(command);
    } catch (e) {
      this.#dead = true;
      throw this.#unreachable(e);
    }
    this.#channels.add(channel);
    return new Promise<ExecResult>((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let exitCode: number | null = null;
      let signal: string | undefined;
      let timedOut = false;
      const lines = options.onLine && {
        out: new LineSplitter((l) => options.onLine!('stdout', l)),
        err: new LineSplitter((l) => options.onLine!('stderr', l)),
      };
      channel.on('data', (d: Buffer) => {
        out.push(d);
        lines?.out.push(d.toString());
      });
      channel.stderr.on('data', (d: Buffer) => {
        err.push(d);
        lines?.err.push(d.toString());
      });
      channel.on('exit', (code: number | null, sig?: string) => {
        exitCode = code;
        if (sig) signal = `SIG${sig}`;
      });
      const timer =
        options.timeoutMs !== undefined
          ? setTimeout(() => {
              timedOut = true;
              channel.signal('KILL');
              channel.close();
            }, options.timeoutMs)
          : undefined;
      const finish = () => {
        clearTimeout(timer);
        this.#channels.delete(channel);
        lines?.out.end();
        lines?.err.end();
      };
      channel.once('link-lost', () => {
        finish();
        reject(
          new UnreachableError(this.host, this.address, `connection lost while running a command (${this.#lastError?.message ?? 'keepalive timeout'})`),
        );
      });
      channel.on('close', () => {
        finish();
        resolve({
          stdout: Buffer.concat(out).toString(),
          stderr: Buffer.concat(err).toString(),
          exitCode: timedOut ? null : exitCode,
          signal: timedOut ? 'SIGKILL' : signal,
          durationMs: Date.now() - started,
          timedOut,
        });
      });
      channel.end(options.stdin ?? undefined);
    });
  }

  async reset(): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    const ssh = this.#ssh;
    this.#ssh = undefined;
    this.#session = undefined;
    this.#dead = true;
    if (ssh) await ssh.close().catch(() => undefined);
    this.#sock?.destroy();
  }
}

function readKey(file: string, host: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RunnerError(`${host}: cannot read identity file ${file}: ${(e as Error).message}`, { cause: e });
  }
}
