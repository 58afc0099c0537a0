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
import type { Connection, ExecResult } from '../connection/connection.ts';
import type { HostVars } from './vars.ts';

export interface FileDiff {
  path: string;
  /** null: the file does not exist (before) or will not (after). */
  before: string | null;
  after: string | null;
}

export type Step =
  | { kind: 'exec'; cmd: string; stdin?: string | Buffer; okExitCodes?: number[]; timeoutMs?: number }
  | { kind: 'upload'; path: string; content: string | Buffer; mode?: string; owner?: string; group?: string };

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
  /** Exit codes that are not a failure. @default [0] */
  okExitCodes?: number[] | 'any';
  timeoutMs?: number;
  /** Override the task's become for this command. */
  become?: boolean;
  /** Keep output lines off the progress row: fact reads (`stat`, `dpkg-query`). Still in the host log. */
  quiet?: boolean;
  /**
   * Stdout is secret (a fetched file, a dump, a file that holds a licence): it never reaches a
   * log, an event, the journal or the terminal; only `onStdoutLine` and the result see it.
   * Stderr is still logged.
   */
  secret?: boolean;
  /** Each stdout line as it arrives (a fetch streams to its file through this). */
  onStdoutLine?: (line: string) => void;
}

export interface HostInfo {
  name: string;
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
  check: boolean;
  become: boolean;
  connection: Connection;
  /** Run a shell line on the host (through sudo when become); throws CommandError unless the exit code is ok. */
  run(cmd: string, options?: CommandOptions): Promise<ExecResult>;
  /** Show a line on the host's progress row (and log it). */
  output(line: string): void;
  warn(message: string): void;
  /** Record work left to a person (a manual step not done in this run): listed after the recap. */
  pending(message: string): void;
  /**
   * The run journal, for data that must survive a crash between two destructive steps:
   * `note` writes at once; `recall` also sees notes of the run being resumed.
   */
  journal: { note(key: string, value: unknown): void; recall<T = unknown>(key: string): T | undefined };
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

export const exec = (cmd: string, options: Omit<Extract<Step, { kind: 'exec' }>, 'kind' | 'cmd'> = {}): Step => ({
  kind: 'exec',
  cmd,
  ...options,
});

export const upload = (
  path: string,
  content: string | Buffer,
  options: Omit<Extract<Step, { kind: 'upload' }>, 'kind' | 'path' | 'content'> = {},
): Step => ({ kind: 'upload', path, content, ...options });
