/**
 * What a module sees while it runs on one host (`ModuleContext`): `run` sends a command through
 * the connection (through sudo when the task has become), streams its lines as events, and
 * throws CommandError on an exit code the caller did not accept; `runStep` runs a plan step (steps.ts).
 */
import { CommandError } from '../model/errors.ts';
import { execAsRoot } from '../connection/sudo.ts';
import { mask } from '../model/secrets.ts';
import { hostVars, type HostRun } from './state.ts';
import { runStep } from './steps.ts';
import type { ExecResult } from '../connection/connection.ts';
import type { ModuleContext, CommandOptions } from '../model/plan.ts';
import type { Task } from '../model/dsl.ts';

export function moduleContext(r: HostRun, task: Task<unknown>, become: boolean): ModuleContext {
  const { host, conn, events } = r;
  const ctx: ModuleContext = {
    host: { name: host.name, address: host.address, user: host.user, tags: host.tags, groups: host.groups, vars: hostVars(r) },
    task: task.name,
    module: task.module.name,
    check: r.check,
    become,
    connection: conn,
    output: (line) => events.emit({ type: 'task:output', host: host.name, task: task.name, stream: 'info', line: mask(line) }),
    warn: (message) => events.emit({ type: 'warn', host: host.name, message: mask(message) }),
    pending: (message) => events.emit({ type: 'pending', host: host.name, task: task.name, message: mask(message) }),
    journal: {
      note: (key, value) => r.journal?.note(host.name, key, value),
      recall: <T>(key: string) => r.journal?.recall(host.name, key) as T | undefined,
    },
    run: (cmd, o) => runCommand(r, task, become, cmd, o),
    runStep: (step) => runStep(ctx, step),
  };
  return ctx;
}

/** `ctx.run`: one command on the host, announced before and after, its lines streamed. */
async function runCommand(r: HostRun, task: Task<unknown>, become: boolean, cmd: string, o: CommandOptions = {}): Promise<ExecResult> {
  const { host, conn, events } = r;
  const taskTimeoutMs = task.options.timeoutSec ? task.options.timeoutSec * 1000 : undefined;
  const timeoutMs = o.timeoutMs ?? taskTimeoutMs;
  const asRoot = o.become ?? become;
  events.emit({ type: 'cmd:start', host: host.name, task: task.name, command: mask(cmd), become: asRoot });
  const execOptions = {
    stdin: o.stdin,
    argv: o.argv,
    timeoutMs,
    onLine: o.quiet ? undefined : (stream: 'stdout' | 'stderr', l: string) => events.emit({ type: 'task:output', host: host.name, task: task.name, stream, line: mask(l) }),
  };
  // sudo (with its password, prompt and markers) is sudo.ts's business; a refusal throws BecomeError.
  const res = asRoot ? await execAsRoot(conn, cmd, execOptions) : await conn.exec(cmd, execOptions);
  events.emit({ type: 'cmd:done', host: host.name, task: task.name, command: mask(cmd), exitCode: res.exitCode, signal: res.signal, stdout: mask(res.stdout), stderr: mask(res.stderr), durationMs: res.durationMs });
  const ok = o.okExitCodes === 'any' || (res.exitCode !== null && (o.okExitCodes ?? [0]).includes(res.exitCode));
  if (ok) return res;
  throw new CommandError({
    host: host.name,
    task: task.name,
    module: task.module.name,
    command: mask(cmd),
    exitCode: res.exitCode,
    signal: res.timedOut ? `SIGKILL (timed out after ${timeoutMs! / 1000} s)` : res.signal,
    stdout: mask(res.stdout),
    stderr: mask(res.stderr),
    durationMs: res.durationMs,
  });
}
