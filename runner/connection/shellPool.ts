/**
 * The persistent channel's shells on one SSH link: up to MAX_SHELLS of each kind (the login
 * user's, and root's opened through sudo once), each a ShellChannel running one task at a time.
 * When none is free and the pool is full, or the host has no usable sh, `run` answers undefined
 * and the connection uses an exec channel for that command.
 */
import type { ClientChannel } from 'ssh2';
import type { UnreachableError } from '../model/errors.ts';
import { quote } from '../model/shell.ts';
import type { BecomeSettings, ExecOptions, ExecResult } from './connection.ts';
import { exitSeen, signalName } from './link.ts';
import { ShellChannel, NoShellError, ShellClosedError, SHELL_LOOP, TASK_AGENT, type RawChannel } from './shellChannel.ts';
import { becomeCommand, sudoHandshake, type BecomeLine } from './sudo.ts';

/** What runs a shell-form task on the persistent channel when the host names no `shell`. */
export const DEFAULT_TASK_SHELL = '/bin/sh';

/** At most this many shells of a kind per host; more concurrent commands use exec channels. */
const MAX_SHELLS = 4;

export type ShellKind = 'user' | 'root';

/** What the pool needs of the connection it lives on. */
export interface PoolLink {
  readonly host: string;
  readonly user: string;
  become?: BecomeSettings;
  /** True while there is no live link. */
  readonly dead: boolean;
  connect(): Promise<void>;
  /** An exec channel running `line` on the live link. */
  channel(line: string): Promise<ClientChannel>;
  unreachable(msg: string, cause?: unknown): UnreachableError;
  /** Calls `lost` when the link drops; the returned function stops watching. */
  watch(lost: (e: UnreachableError) => void): () => void;
}

export interface PoolOptions {
  /** `agent`: the perl task agent where the host has perl, else the sh loop; `sh`: always the loop. */
  taskRunner?: 'agent' | 'sh';
  /** The shell that runs shell-form tasks (login user's and root's), absolute. @default '/bin/sh' */
  shell?: string;
  /** How long a new shell may take to say it is ready. */
  openTimeoutMs: number;
  warn?: (message: string) => void;
}

/** No channel now (the server's MaxSessions, say): this one command goes over an exec channel. */
class ChannelBusy extends Error {}

export class ShellPool {
  /** Shells opened so far (user and root), for tests and the per-host log. */
  readonly opened = { user: 0, root: 0 };
  /** Set when the host has no usable POSIX sh: the persistent strategy then falls back to exec. */
  noShell?: string;
  readonly #shells: Record<ShellKind, ShellChannel[]> = { user: [], root: [] };

  constructor(
    private readonly link: PoolLink,
    private readonly options: PoolOptions,
  ) {}

  live(kind: ShellKind): readonly ShellChannel[] {
    return this.#shells[kind].filter((s) => !s.dead);
  }

  /** Runs `command` on a free shell of `kind`; undefined: use an exec channel instead. */
  async run(kind: ShellKind, command: string, options: ExecOptions, retried = false): Promise<ExecResult | undefined> {
    await this.link.connect();
    let shell = this.#idle(kind);
    if (!shell) {
      shell = await this.#started(kind);
      if (!shell) return undefined;
      // Added and run with no await between: no other command can take it first.
      this.#shells[kind].push(shell);
    }
    const sc = shell;
    return new Promise<ExecResult | undefined>((resolve, reject) => {
      const unwatch = this.link.watch((e) => {
        unwatch();
        reject(e);
        sc.gone('connection lost');
      });
      sc.run(command, options).then(
        (r) => {
          unwatch();
          resolve(r);
        },
        (e) => {
          unwatch();
          // Found closed before anything was sent (it died while idle): the command did not run.
          if (e instanceof ShellClosedError && !retried) this.run(kind, command, options, true).then(resolve, reject);
          else reject(e);
        },
      );
    });
  }

  /** The link is gone or closed: every shell on it is too. */
  closeAll(why: string): void {
    for (const sc of [...this.#shells.user, ...this.#shells.root]) sc.gone(why);
    this.#shells.user = [];
    this.#shells.root = [];
  }

  /** An idle shell of `kind`, if there is one (synchronous: nothing else may take it before it runs). */
  #idle(kind: ShellKind): ShellChannel | undefined {
    const pool = this.#shells[kind];
    for (let i = pool.length - 1; i >= 0; i--) if (pool[i]!.dead) pool.splice(i, 1);
    return pool.find((s) => !s.busy);
  }

  /** A new shell of `kind`, or undefined when there may be no more or none can start. */
  async #started(kind: ShellKind): Promise<ShellChannel | undefined> {
    if (this.#shells[kind].length >= MAX_SHELLS) return undefined;
    try {
      return await this.#open(kind);
    } catch (e) {
      if (e instanceof ChannelBusy) return undefined;
      if (!(e instanceof NoShellError)) throw e;
      // A link that died while the shell started is the link's failure, not the shell's.
      if (this.link.dead) throw this.link.unreachable(`cannot start the command shell: ${e.message}`, e);
      this.noShell = e.message;
      this.options.warn?.(
        `${this.link.host}: no usable POSIX sh for the persistent command channel (${e.message}); using an exec channel per command`,
      );
      return undefined;
    }
  }

  /** The command line that starts a shell of `kind` (through sudo for root). */
  #startLine(kind: ShellKind): { line: string; become?: BecomeLine } {
    const loop = `sh -c ${quote(SHELL_LOOP)} ucw-sh`;
    const agent = this.options.taskRunner === 'sh' ? "''" : quote(TASK_AGENT);
    // Shell-form tasks run under /bin/sh (or the host's `shell`), as Ansible's shell module, for
    // the login user and root alike; the login shell only starts the loop.
    const shell = quote(this.options.shell ?? DEFAULT_TASK_SHELL);
    if (kind === 'user') return { line: `exec ${loop} ${shell} ${agent}` };
    const b = becomeCommand(`exec ${loop} ${shell} ${agent}`, this.link.become?.password !== undefined);
    return { line: b.line, become: b };
  }

  async #channel(line: string): Promise<ClientChannel> {
    try {
      return await this.link.channel(line);
    } catch (e) {
      // No channel now says nothing about the host's shell: this one command goes over an exec
      // channel (which reports the failure if it is not transient).
      if (!this.link.dead) throw new ChannelBusy((e as Error).message);
      await this.link.connect();
      return this.link.channel(line).catch((e2: Error) => {
        throw this.link.unreachable(`cannot run a command: ${e2.message}`, e2);
      });
    }
  }

  async #open(kind: ShellKind): Promise<ShellChannel> {
    const { line, become } = this.#startLine(kind);
    const ch = await this.#channel(line);
    const wired = wire(ch);
    if (become) {
      const hs = sudoHandshake(this.link, become, { write: (d) => wired.raw.write(d), kill: () => wired.raw.close() });
      wired.raw.listen(
        (d) => hs.onData('stdout', d),
        (d) => hs.onData('stderr', d),
      );
      wired.onEnd = (code, sig) => hs.ended(code, sig);
      await hs.done;
    }
    let sc: ShellChannel | undefined;
    let endedEarly: string | undefined;
    wired.onEnd = (code, sig) => {
      const why = endWhy(code, sig);
      if (sc) sc.gone(why);
      else endedEarly = why;
    };
    const opening = ShellChannel.open(wired.raw, `${this.link.host}${kind === 'root' ? ' (root)' : ''}`, this.options.openTimeoutMs);
    if (endedEarly) throw new NoShellError(endedEarly);
    sc = await opening;
    this.opened[kind]++;
    const opened = sc;
    wired.onEnd = (code, sig) => {
      opened.gone(endWhy(code, sig));
      try {
        ch.close();
      } catch {
        /* gone */
      }
    };
    return sc;
  }
}

const endWhy = (code: number | null, sig?: string) => `the shell ended: ${sig ?? `exit ${code ?? 'unknown'}`}`;

/** An SSH channel as the shell sees it: its output routed where `listen` says, its end to `onEnd`. */
interface Wired {
  raw: RawChannel;
  onEnd: (code: number | null, sig?: string) => void;
}

function wire(ch: ClientChannel): Wired {
  let onOut: (d: Buffer) => void = () => {};
  let onErr: (d: Buffer) => void = () => {};
  const early = exitSeen(ch);
  let exit: { code: number | null; sig?: string } | undefined = early?.exited ? { code: early.code, sig: early.signal } : undefined;
  const wired: Wired = {
    raw: {
      write: (d) => {
        if (!ch.writable || exit) return false;
        ch.write(d);
        return true;
      },
      listen: (o, e) => ((onOut = o), (onErr = e)),
      close: () => ch.close(),
    },
    onEnd: () => {},
  };
  ch.on('data', (d: Buffer) => onOut(d));
  ch.stderr.on('data', (d: Buffer) => onErr(d));
  ch.on('exit', (code: number | null, sig?: string) => {
    exit = { code, sig: signalName(sig) };
    // The shell is gone even if a task's output still drains: fail that task now.
    wired.onEnd(code, exit.sig);
  });
  ch.on('close', () => wired.onEnd(exit?.code ?? null, exit?.sig));
  return wired;
}
