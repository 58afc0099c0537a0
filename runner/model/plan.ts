/**
 * The module contract: gather facts (read-only) → decide (pure: desired vs actual → a Plan)
 * → apply. The runner, not each module, handles check mode and diff from the Plan.
 *
 * @example
 * export const file = defineModule({
 *   name: 'file',
 *   facts: (ctx, p: FileParams) => stat(ctx, p.path),
 *   plan: (p, f) => (f.exists ? noop(`${p.path} exists`) : change(`create ${p.path}`, { steps: [exec(sh`touch ${p.path}`)] })),
 * })
 */
import type { ArgvCommand, Connection, ExecResult } from '../connection/connection.ts';
import type { HostVars } from './vars.ts';

export interface FileDiff {
  path: string;
  /** null: the file does not exist (before) or will not (after). */
  before: string | null;
  after: string | null;
}

/** A command on the host, as `ctx.run` runs it (through sudo when the task has become). */
export interface ExecStep {
  kind: 'exec';
  cmd: string;
  /** `cmd` as a program and its arguments: exec'd with no shell where the transport can (the task agent). */
  argv?: ArgvCommand;
  stdin?: string | Buffer;
  /** Exit codes that are not a failure. @default [0] */
  okExitCodes?: number[];
  timeoutMs?: number;
  /** Run detached on the host (runner/connection/detached.ts): a dropped SSH link does not kill it half-way; its lines still stream. */
  detached?: boolean;
  /** While the command fails on a lock another process holds, wait (backoff) and try again. */
  lockWait?: LockWait;
  /** What the task reports from this command's output: its result, and the reason once it ran. */
  report?: (r: ExecResult) => { result?: unknown; reason?: string };
  /**
   * A bad exit code fails the task without throwing, keeping what `report` made of the failed
   * run, so `failedWhen`, `until`, `ignoreErrors` and later tasks can read the output.
   */
  keepOnFailure?: boolean;
  /** How much output the result keeps (CommandOptions.keep). @default 'full' with a `report` (it parses the output), else 'bounded' */
  keep?: 'full' | 'bounded';
  /** Reads a progress report from an output line (apt's `APT::Status-Fd`); such lines show as the row's bar, not as output. */
  progress?: (line: string) => Progress | undefined;
}

/** What a module tells the fleet report about its host (any part; later reports add to earlier ones). */
export interface HostReport {
  versionsBefore?: Record<string, string | null>;
  versionsAfter?: Record<string, string | null>;
  /** Modified conffiles kept over the package's version; `diff` against what it shipped, absent when marked secret. */
  conffiles?: { path: string; secret?: boolean; diff?: string }[];
  backups?: { path: string; sha256: string; bytes?: number }[];
  snapshots?: string[];
  rollbackCommand?: string;
}

/** How far a long command is: a percentage and what it is doing now. */
export interface Progress {
  percent: number;
  label: string;
}

/** A file written on the host atomically (temp file beside it, then rename). */
export interface UploadStep {
  kind: 'upload';
  path: string;
  content: string | Buffer;
  /** Unset: the mode of the file it replaces, else 0644. */
  mode?: string;
  /** Unset (with group): the owner of the file it replaces. */
  owner?: string;
  group?: string;
}

/** The lock a failed command ran into, and who holds it. */
export interface HeldLock {
  lock: string;
  pid?: number;
  holder?: string;
}

/** How to tell that a command failed only because another process holds a lock. */
export interface LockWait {
  /** Keep trying this long. */
  waitMs: number;
  /** The lock a failed run hit, or undefined when the failure is the command's own. */
  lockOf(r: ExecResult): HeldLock | undefined;
  /** Lines put before stderr when the command fails for good (dpkg's errors, which apt prints on stdout). */
  errorLines?(r: ExecResult): string[];
}

/** What the default apply does, in order. */
export type Step = ExecStep | UploadStep;

export interface Plan<R = unknown> {
  changed: boolean;
  /** Always set: what will change, or pyinfra-style why nothing needs to. */
  reason: string;
  steps: Step[];
  diff?: FileDiff[];
  /** The result when nothing is applied (no-op, or check mode). */
  result?: R;
}

/** What a custom apply reports; anything left out comes from the plan. */
export interface Applied<R> {
  changed?: boolean;
  reason?: string;
  result?: R;
  /** Set when the module itself judges the task failed (e.g. a non-zero exit of `command`). */
  failed?: string;
  diff?: FileDiff[];
}

/** Options of one command a module runs on the host (`ctx.run`). */
export interface CommandOptions {
  stdin?: string | Buffer;
  /** The command as a program and its arguments (the line is its quoted form): exec'd with no shell where the transport can. */
  argv?: ArgvCommand;
  /** Exit codes that are not a failure. @default [0] */
  okExitCodes?: number[] | 'any';
  timeoutMs?: number;
  /** Override the task's become for this command. */
  become?: boolean;
  /** Keep output lines off the progress row: fact reads (`stat`, `dpkg-query`). Still in the host log. */
  quiet?: boolean;
  /** Sees each output line first; a line it returns true for is not shown as output (still logged). */
  onLine?: (stream: 'stdout' | 'stderr', line: string) => boolean;
  /**
   * Stdout is secret (a fetched file, a dump, a file that holds a licence): it never reaches a
   * log, an event, the journal or the terminal; only `onStdoutLine` and the result see it.
   * Stderr is still logged.
   */
  secret?: boolean;
  /** Each stdout line as it arrives (a fetch streams to its file through this). */
  onStdoutLine?: (line: string) => void;
  /**
   * How much of the output the result keeps: `full` (up to the connection's cap, past which the
   * command fails: facts are never parsed from cut output) or `bounded` (a head and a tail).
   * @default 'full' (a module parses what it reads), 'bounded' for `onStdoutLine` streams; plan steps: see ExecStep.keep
   */
  keep?: 'full' | 'bounded';
}

/** A host's inventory data, as modules and `when` see it. */
export interface HostInfo {
  name: string;
  /** Where the host is reached (inventory `address`). */
  address: string;
  user: string;
  tags: readonly string[];
  groups: readonly string[];
  vars: HostVars;
}

/** What a module sees while it runs on one host. */
export interface ModuleContext {
  host: HostInfo;
  task: string;
  /** The module's name, for errors. */
  module: string;
  check: boolean;
  become: boolean;
  connection: Connection;
  /** Run a shell line on the host (through sudo when become); throws CommandError unless the exit code is ok. */
  run(cmd: string, options?: CommandOptions): Promise<ExecResult>;
  /** Run one step as the default apply does (for a custom apply whose later steps depend on earlier output). */
  runStep(step: Step): Promise<ExecResult>;
  /** Show a line on the host's progress row (and log it). */
  output(line: string): void;
  /** Tell the fleet report (logs/<run>/report.html) about this host. */
  report?(r: HostReport): void;
  /** Show how far the running command is (the row's bar). */
  progress?(p: Progress): void;
  warn(message: string): void;
  /** Record work left to a person (a manual step not done in this run): listed after the recap. */
  pending(message: string): void;
  /**
   * The run journal, for data that must survive a crash between two destructive steps:
   * `note` writes at once; `recall` also sees notes of the run being resumed.
   */
  journal: { note(key: string, value: unknown): void; recall<T = unknown>(key: string): T | undefined };
  /**
   * Log in over a second, NEW connection with the host's own settings (strict host key and all)
   * and run `true` (through sudo when the task has become), while the task's connection stays
   * open; throws, naming the error, when that login fails. Resolves at once on a local host.
   * For modules that may have broken logins (an openssh-server upgrade) before they let go.
   */
  proveFreshLogin(): Promise<void>;
}

export interface ModuleDef<P, F, R> {
  name: string;
  /** `none`: the module cannot predict its effect, so --check skips it. @default 'full' */
  checkMode?: 'full' | 'none';
  /** Short text naming what a call does, for default task names. */
  summary?(params: P): string;
  /** Cross-field rules, checked before any host is contacted; throw ParamError. */
  validate?(params: P): void;
  /** Read-only look at the host. */
  facts?(ctx: ModuleContext, params: P): Promise<F>;
  /** Pure: params + facts → plan. */
  plan(params: P, facts: F): Plan<R>;
  /** Custom apply for controller-side work; the default runs plan.steps in order. */
  apply?(ctx: ModuleContext, params: P, facts: F, plan: Plan<R>): Promise<Applied<R>>;
}

export const noop = <R>(reason: string, result?: R): Plan<R> => ({ changed: false, reason, steps: [], result });

export const change = <R>(reason: string, rest: { steps: Step[]; diff?: FileDiff[]; result?: R }): Plan<R> => ({
  changed: true,
  reason,
  ...rest,
});

export const exec = (cmd: string, options: Omit<ExecStep, 'kind' | 'cmd'> = {}): ExecStep => ({ kind: 'exec', cmd, ...options });

export const upload = (
  path: string,
  content: string | Buffer,
  options: Omit<UploadStep, 'kind' | 'path' | 'content'> = {},
): UploadStep => ({
  kind: 'upload',
  path,
  content,
  ...options,
});
