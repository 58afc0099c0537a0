/**
 * What the runner needs of a host: run a command with its own stdin, get stdout, stderr and
 * the exit status back, stream output while it runs. SSH and the controller itself both do this.
 */
import { RunnerError } from '../model/errors.ts';

/** A command as a program and its arguments (Ansible's `command` module): nothing parses it. */
export interface ArgvCommand {
  /** The program (found in PATH unless it has a `/`) and its arguments; no NUL in any of them. */
  argv: readonly string[];
  /** Run in this directory. */
  chdir?: string;
}

export interface ExecOptions {
  /**
   * The same command as the line, as a program and arguments: the task agent execs it directly,
   * with no shell at all. Every other transport (the sh loop, exec channels, sudo per command,
   * local) runs the line, which must be its POSIX-quoted form.
   */
  argv?: ArgvCommand;
  /** Sent on the command's stdin, then EOF. Without it, stdin is at EOF from the start. */
  stdin?: string | Buffer;
  /** Kill the command after this long (the task fails as timed out). */
  timeoutMs?: number;
  /** Each complete line of output as it arrives (for progress rows and logs). */
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  /**
   * Instead of `stdin`: the caller feeds stdin while the command talks, and must `end()` it.
   * sudo needs this: its password goes in only once its prompt has appeared.
   */
  interact?: (stdin: StdinWriter) => void;
  /** Raw output chunks as they arrive, before line splitting (prompts have no newline). */
  onData?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /**
   * How much output the result keeps; all of it streams to `onData`/`onLine` as it comes either
   * way. `full` (the default): every byte, up to `keepBytes` (FULL_OUTPUT_CAP) per stream; past
   * that the exec fails with OutputLimitError once the command ended, so what a module parses is
   * never cut. `bounded`: the first and the last `keepBytes` (BOUNDED_KEEP) of each stream, with
   * `ExecResult.cut` saying how much was left out between them: for output that is only shown.
   */
  keep?: 'full' | 'bounded';
  /** The cap (`full`) or the size of the head and of the tail (`bounded`), in bytes per stream. */
  keepBytes?: number;
}

/** The most a `full` result holds per stream: a fact read past this fails loudly. */
export const FULL_OUTPUT_CAP = 64 * 1024 * 1024;
/** What a `bounded` result keeps of each stream's start, and again of its end. */
export const BOUNDED_KEEP = 64 * 1024;

/** A `full` exec's output passed its cap: its result would be cut, and a plan is never built on that. */
export class OutputLimitError extends RunnerError {
  constructor(
    readonly host: string,
    readonly command: string,
    readonly stream: 'stdout' | 'stderr',
    readonly cap: number,
  ) {
    const shown = command.length > 120 ? `${command.slice(0, 117)}...` : command;
    super(`${host}: the ${stream} of \`${shown}\` passed ${cap} bytes, the most a result keeps whole (keep: 'bounded' streams it instead)`);
  }
}

export interface StdinWriter {
  write(data: string | Buffer): void;
  end(data?: string | Buffer): void;
  /** Stop the command (SIGKILL where the transport allows, then close). */
  kill(): void;
}

/**
 * The command channel strategy when neither the command line (`--channel`) nor the inventory
 * (`channel`) names one: `persistent` (one framed shell per host, runner/connection/shellChannel.ts)
 * or `exec` (an SSH exec channel per command).
 */
export const DEFAULT_CHANNEL: 'persistent' | 'exec' = 'persistent';

/** How `become` escalates on this host; set by connectionFor from the inventory and the CLI. */
export interface BecomeSettings {
  /** The sudo password, read once (env var or `--ask-become-pass`); undefined: passwordless only. */
  password?: string;
  /** Where the password was meant to come from, for the "password required" message. */
  passwordSource?: string;
  /** How long to wait for sudo's prompt or success marker. @default 12000 */
  timeoutMs?: number;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** null when the process was killed by a signal or the link broke. */
  exitCode: number | null;
  signal?: string;
  durationMs: number;
  timedOut?: boolean;
  /** Bytes left out of the middle of each stream (`keep: 'bounded'`); absent when nothing was cut. */
  cut?: { stdout: number; stderr: number };
  /**
   * The persistent command channel (or its shell) died while the command ran: it may or may not
   * have completed. Always comes with exitCode null: such a task is failed, never succeeded.
   */
  outcomeUnknown?: boolean;
}

export interface Connection {
  readonly kind: 'ssh' | 'local';
  /** The inventory name of the host. */
  readonly host: string;
  /** Where it is reached, for messages (`10.0.0.5:22`). */
  readonly address: string;
  /** The login user (decides whether `become` needs sudo). */
  readonly user: string;
  /** How many times the link was established (reconnects show up as > 1), where the transport counts. */
  readonly connects?: number;
  /** sudo settings for `become`; absent means passwordless sudo only. */
  become?: BecomeSettings;
  connect(): Promise<void>;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /**
   * Runs `command` as root on a root channel the connection keeps (the persistent strategy: one
   * sudo per host). Undefined when it has none: the caller then runs sudo per command.
   */
  execAsRoot?(command: string, options?: ExecOptions): Promise<ExecResult | undefined>;
  /** How commands reach the host: `persistent` (one framed shell) or `exec` (a channel each). */
  readonly strategy?: 'persistent' | 'exec';
  /** Drop the link (e.g. after a reboot); the next exec reconnects. */
  reset(): Promise<void>;
  close(): Promise<void>;
}
