/**
 * The one face a module imports: `defineModule`, the plan and its step kinds (`exec` — plain,
 * detached, or waiting on a lock — and `upload`, which the default apply runs), what a module
 * sees while it runs (`ModuleContext`, `HostView`), the errors it throws, and the `sh` tag that
 * quotes everything put on a command line. Modules import nothing else from the runner.
 *
 * @example
 * import { defineModule, change, noop, exec, sh, type Plan } from '../runner/module.ts';
 *
 * export interface TouchParams { path: string }
 * export const touch = defineModule<TouchParams, { exists: boolean }>({
 *   name: 'touch',
 *   facts: async (ctx, p) => ({ exists: (await ctx.run(sh`test -e ${p.path}`, { okExitCodes: [0, 1], quiet: true })).exitCode === 0 }),
 *   plan: (p, f): Plan => (f.exists ? noop(`${p.path} exists`) : change(`create ${p.path}`, { steps: [exec(sh`touch ${p.path}`)] })),
 * });
 */
import type { ModuleDef } from './model/plan.ts';
import type { HostView, Task, TaskOptions } from './model/dsl.ts';

/** Params are data, or a function of the host for values that differ per host (Ansible's templating). */
export type ParamsOf<P> = P | ((host: HostView) => P);

export type ModuleCall<P, R> = ((params: ParamsOf<P>, options?: TaskOptions<R>) => Task<R>) & { readonly def: ModuleDef<P, any, R> };

/** Turns a module definition into the function playbooks call; fixed params are validated at once. */
export function defineModule<P, F = undefined, R = unknown>(def: ModuleDef<P, F, R>): ModuleCall<P, R> {
  const call = (params: ParamsOf<P>, options: TaskOptions<R> = {}): Task<R> => {
    const fixed = typeof params !== 'function';
    if (fixed) def.validate?.(params as P);
    const name = options.name ?? (fixed && def.summary ? `${def.name}: ${def.summary(params as P)}` : def.name);
    return { kind: 'task', name, module: def as ModuleDef<unknown, unknown, R>, params, options };
  };
  return Object.assign(call, { def });
}

export { noop, change, exec, upload } from './model/plan.ts';
export type {
  Plan,
  Step,
  ExecStep,
  UploadStep,
  LockWait,
  HeldLock,
  FileDiff,
  Progress,
  HostReport,
  ModuleContext,
  ModuleDef,
  Applied,
  CommandOptions,
  HostInfo,
} from './model/plan.ts';
export type { HostView, Outcome, Task, TaskOptions } from './model/dsl.ts';
export type { HostVars } from './model/vars.ts';
export type { Connection, ExecResult } from './connection/connection.ts';
export * from './model/errors.ts';
export { sh, quote, raw, secret, Secret, shC, type ShellValue } from './model/shell.ts';
export { registerSecret, mask } from './model/secrets.ts';
export { privateDir, writePrivateFile } from './output/privateFiles.ts';
// Controller-side actions a module's custom apply may take, and the wait-and-retry loop.
export {
  httpFetch,
  HttpError,
  normalizePin,
  pemFingerprint,
  type HttpRequest,
  type HttpResponse,
  type TlsTrust,
} from './connection/https.ts';
export { retry, backoffMs, type Backoff, type Retried, type RetryOptions, type Try } from './engine/backoff.ts';
// Asking the operator (a guided step): the terminal's prompter, one question on screen at a time.
export { prompter, PromptInterrupted, type Asker, type Choice, type Question } from './model/prompt.ts';
