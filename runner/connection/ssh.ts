/**
 * One persistent SSH connection per host (ssh2). Commands reach the host one of two ways (the
 * `channel` option): `persistent` (the default) sends them framed to one long-lived `sh` on one
 * channel (shellPool.ts, shellChannel.ts), and `become` ones to one root `sh` opened through sudo
 * once; `exec` opens a channel per command. Either way a task costs no TCP + key exchange + auth;
 * the persistent shell also saves the sshd session and the login shell's rc files per task. The
 * link itself (TCP, jump hosts, handshake, keys) is link.ts.
 *
 * A broken link (keepalive timeout, reset) fails the commands running on it as unreachable;
 * the next exec opens a new connection.
 */
import type { ClientChannel } from 'ssh2';
import { UnreachableError, RunnerError } from '../model/errors.ts';
import { DEFAULT_CHANNEL, type BecomeSettings, type Connection, type ExecOptions, type ExecResult } from './connection.ts';
import { Capture } from './lines.ts';
import { openChain, openChannel, exitSeen, signalName, unreachable, type Client, type ExitStatus, type LinkOptions } from './link.ts';
import { ShellPool, type ShellKind } from './shellPool.ts';
import type { ShellChannel } from './shellChannel.ts';

export interface SshOptions extends LinkOptions {
  become?: BecomeSettings;
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
  /**
   * The shell that runs shell-form tasks on the persistent channel (an absolute path to a POSIX
   * shell); argv tasks need none. An exec channel runs the line in the login shell, as sshd does.
   * @default '/bin/sh'
   */
  shell?: string;
}

export class SshConnection implements Connection {
  readonly kind = 'ssh' as const;
  readonly host: string;
  readonly address: string;
  readonly user: string;
  become?: BecomeSettings;
  connects = 0;
  readonly strategy: 'persistent' | 'exec';
  readonly #pool: ShellPool;
  #clients: Client[] = [];
  #connecting?: Promise<void>;
  #dead = true;
  #lastError?: Error;
  readonly #watchers = new Set<(e: UnreachableError) => void>();

  constructor(readonly options: SshOptions) {
    this.host = options.host;
    this.address = `${options.address}:${options.port}`;
    this.user = options.user;
    this.become = options.become;
    this.strategy = options.channel ?? DEFAULT_CHANNEL;
    const self = this;
    this.#pool = new ShellPool(
      {
        host: this.host,
        user: this.user,
        get become() {
          return self.become;
        },
        get dead() {
          return self.#dead;
        },
        connect: () => this.connect(),
        channel: (line) => this.#channel(line),
        unreachable: (msg, cause) => unreachable(options, options, msg, cause),
        watch: (lost) => this.#watch(lost),
      },
      {
        taskRunner: options.taskRunner,
        shell: options.shell,
        openTimeoutMs: Math.max(options.connectTimeoutMs ?? 10_000, 5000),
        warn: options.warn,
      },
    );
  }

  /** Shells opened so far (user and root), for tests and the per-host log. */
  get shellsOpened(): { user: number; root: number } {
    return this.#pool.opened;
  }

  /** Set when the host has no usable POSIX sh: the persistent strategy then falls back to exec. */
  get noShell(): string | undefined {
    return this.#pool.noShell;
  }

  /** The live shells (for tests: their pids, how many tasks each ran). */
  shells(kind: ShellKind = 'user'): readonly ShellChannel[] {
    return this.#pool.live(kind);
  }

  async execAsRoot(command: string, options: ExecOptions = {}): Promise<ExecResult | undefined> {
    if (this.strategy !== 'persistent' || options.interact || this.noShell) return undefined;
    return this.#pool.run('root', command, options);
  }

  connect(): Promise<void> {
    if (!this.#dead) return Promise.resolve();
    this.#connecting ??= this.#open().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #open(): Promise<void> {
    const clients = await openChain(this.options);
    this.#clients = clients;
    this.#lastError = undefined;
    this.#dead = false;
    this.connects++;
    const chain = [...(this.options.jumps ?? []), this.options];
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
    this.#lost(
      new UnreachableError(this.host, this.address, `connection lost while running a command (${why})`, { cause: this.#lastError }),
    );
  }

  #watch(lost: (e: UnreachableError) => void): () => void {
    this.#watchers.add(lost);
    return () => this.#watchers.delete(lost);
  }

  #lost(err: UnreachableError): void {
    for (const w of [...this.#watchers]) w(err);
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (this.strategy === 'persistent' && !options.interact && !this.noShell) {
      const res = await this.#pool.run('user', command, options);
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
        throw unreachable(this.options, this.options, `cannot run a command: ${(e2 as Error).message}`, e2);
      }
    }
    return this.#run(channel, command, options);
  }

  #channel(command: string): Promise<ClientChannel> {
    const client = this.#clients.at(-1);
    if (!client || this.#dead) return Promise.reject(new Error('not connected'));
    return openChannel(client, command);
  }

  /** One command on its own exec channel: output streamed as it comes, the status at the end. */
  #run(channel: ClientChannel, command: string, options: ExecOptions): Promise<ExecResult> {
    const started = Date.now();
    const capture = new Capture(options);
    channel.on('data', (d: Buffer) => capture.push('stdout', d));
    channel.stderr.on('data', (d: Buffer) => capture.push('stderr', d));
    const status: ExitStatus & { timedOut: boolean } = { exited: false, code: null, ...exitSeen(channel), timedOut: false };
    channel.on('exit', (code: number | null, sig?: string) => {
      status.exited = true;
      status.code = code;
      if (sig) status.signal = signalName(sig);
    });
    const kill = () => {
      try {
        channel.signal('KILL');
      } catch {
        /* the channel may already be gone */
      }
      channel.close();
    };
    return new Promise<ExecResult>((resolve, reject) => {
      const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => ((status.timedOut = true), kill()), options.timeoutMs);
      let settled = false;
      const finish = () => {
        settled = true;
        clearTimeout(timer);
        unwatch();
        capture.end();
      };
      const unwatch = this.#watch((e) => {
        if (settled) return;
        finish();
        reject(e);
      });
      let graceTaken = false;
      const onClose = () => {
        if (settled) return;
        const open = !status.exited && !status.timedOut;
        // On a dead link ssh2 closes every channel right after the client's 'close': that is
        // "unreachable", not a command that exited without a status.
        if (open && this.#dead) return; // the watcher (already called or about to be) rejects
        // Seen rarely under load: the channel's close handled before its exit-status. Give the
        // status a moment to arrive rather than report a finished command as "exit unknown".
        if (open && !graceTaken) {
          graceTaken = true;
          channel.once('exit', () => setImmediate(onClose));
          setTimeout(onClose, 200);
          return;
        }
        finish();
        if (capture.overflow()) return reject(capture.error(this.host, command));
        const { timedOut } = status;
        resolve({
          ...capture.result(),
          exitCode: timedOut ? null : status.code,
          signal: timedOut ? 'SIGKILL' : status.signal,
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
    this.#pool.closeAll('connection closed by the runner');
    this.#lost(new UnreachableError(this.host, this.address, 'connection closed by the runner while a command was running'));
  }
}
