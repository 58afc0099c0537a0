/**
 * What a module sees while it runs on one host (`ModuleContext`): `run` sends a command through
 * the connection (through sudo when the task has become), streams its lines as events, and
 * throws CommandError on an exit code the caller did not accept. `applySteps` is the default apply.
 */
import { CommandError } from '../model/errors.ts';
import { execAsRoot } from '../connection/sudo.ts';
import { sh, raw } from '../model/shell.ts';
import { mask } from '../model/secrets.ts';
import { hostVars, type HostRun } from './state.ts';
import type { ExecResult } from '../connection/connection.ts';
import type { Applied, ModuleContext, CommandOptions, Step } from '../model/plan.ts';
import type { Task } from '../model/dsl.ts';

export function moduleContext(r: HostRun, task: Task<unknown>, become: boolean): ModuleContext {
  const { host, conn, events } = r;
  return {
    host: { name: host.name, address: host.address, user: host.user, tags: host.tags, groups: host.groups, vars: hostVars(r) },
    task: task.name,
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
  };
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

/** The default apply: run the plan's steps in order; uploads are atomic (temp file + rename). */
export async function applySteps(ctx: ModuleContext, steps: Step[]): Promise<Applied<unknown>> {
  let last: ExecResult | undefined;
  for (const s of steps) {
    if (s.kind === 'exec') last = await ctx.run(s.cmd, { stdin: s.stdin, okExitCodes: s.okExitCodes, timeoutMs: s.timeoutMs });
    else await ctx.run(uploadLine(s), { stdin: s.content, quiet: true });
  }
  return last ? { result: undefined } : {};
}

/**
 * Writes stdin to a temp file beside the target, sets mode/owner (or copies them from the
 * file it replaces), then renames it into place: readers see the old file or the new, never half.
 */
export function uploadLine(s: Extract<Step, { kind: 'upload' }>): string {
  const perms = [
    s.mode ? sh`chmod ${s.mode} "$t"` : sh`if [ -e ${s.path} ]; then chmod --reference=${s.path} "$t"; else chmod 0644 "$t"; fi`,
    s.owner || s.group
      ? sh`chown ${(s.owner ?? '') + (s.group ? ':' + s.group : '')} "$t"`
      : sh`if [ -e ${s.path} ]; then chown --reference=${s.path} "$t"; fi`,
  ];
  return [
    'set -e',
    sh`t=$(mktemp ${s.path}.tmp.XXXXXX)`,
    raw(`trap 'rm -f "$t"' EXIT`).text,
    'cat > "$t"',
    ...perms,
    sh`mv -f "$t" ${s.path}`,
    'trap - EXIT',
  ].join('; ');
}
