/**
 * What a module sees while it runs on one host (`ModuleContext`): `run` sends a command through
 * the connection (through sudo when the task has become), streams its lines as events, and
 * throws CommandError on an exit code the caller did not accept; `runStep` runs a plan step (steps.ts).
 */
import { CommandError, RunnerError } from '../model/errors.ts';
import { execAsRoot } from '../connection/sudo.ts';
import { mask } from '../model/secrets.ts';
import { hostVars, type HostRun } from './state.ts';
import { runStep } from './steps.ts';
import type { ExecOptions, ExecResult } from '../connection/connection.ts';
import type { ModuleContext, CommandOptions } from '../model/plan.ts';
import type { Task } from '../model/dsl.ts';
import type { RunEvents } from '../output/events.ts';

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
    // masked as a whole: a kept conffile's diff may hold a registered secret
    report: (rep) => events.emit({ type: 'host:report', host: host.name, report: JSON.parse(mask(JSON.stringify(rep))) }),
    progress: (p) => events.emit({ type: 'task:progress', host: host.name, task: task.name, percent: p.percent, label: mask(p.label) }),
    warn: (message) => events.emit({ type: 'warn', host: host.name, message: mask(message) }),
    pending: (message) => events.emit({ type: 'pending', host: host.name, task: task.name, message: mask(message) }),
    journal: {
      note: (key, value) => r.journal?.note(host.name, key, value),
      recall: <T>(key: string) => r.journal?.recall(host.name, key) as T | undefined,
    },
    run: (cmd, o) => runCommand(r, task, become, cmd, o),
    runStep: (step) => runStep(ctx, step),
    proveFreshLogin: () => proveFreshLogin(r, become),
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
  // What a module parses is kept whole, up to the connection's cap (ExecOptions.keep); a stream
  // (a fetch) or output that is only shown (the host log has every line) as a head and a tail.
  const keep = o.keep ?? (o.onStdoutLine ? 'bounded' : 'full');
  const execOptions: ExecOptions & { keep?: 'full' | 'bounded' } = {
    stdin: o.stdin,
    argv: o.argv,
    timeoutMs,
    onLine: lineSink(events, host.name, task.name, o),
    keep,
  };
  // sudo (with its password, prompt and markers) is sudo.ts's business; a refusal throws BecomeError.
  const res = asRoot ? await execAsRoot(conn, cmd, execOptions) : await conn.exec(cmd, execOptions);
  const stdout = o.secret ? '' : mask(lastBytes(res.stdout));
  events.emit({
    type: 'cmd:done',
    host: host.name,
    task: task.name,
    command: mask(cmd),
    exitCode: res.exitCode,
    signal: res.signal,
    stdout,
    stderr: mask(lastBytes(res.stderr)),
    durationMs: res.durationMs,
    ...(o.secret ? { secret: true } : {}),
  });
  const ok = o.okExitCodes === 'any' || (res.exitCode !== null && (o.okExitCodes ?? [0]).includes(res.exitCode));
  if (ok) return res;
  throw new CommandError({
    host: host.name,
    task: task.name,
    module: task.module.name,
    command: mask(cmd),
    exitCode: res.exitCode,
    signal: res.timedOut ? `SIGKILL (timed out after ${timeoutMs! / 1000} s)` : res.signal,
    stdout: o.secret ? '' : mask(res.stdout),
    stderr: mask(res.stderr),
    durationMs: res.durationMs,
  });
}

/**
 * `ctx.proveFreshLogin`: a second connection from the host's own factory (same settings, strict
 * host key), `true` on it (through sudo with become), closed again; the task's connection is
 * not touched, so it is still there to repair sshd over when this fails.
 */
async function proveFreshLogin(r: HostRun, become: boolean): Promise<void> {
  if (r.conn.kind !== 'ssh' || !r.freshConnection) return;
  const fresh = r.freshConnection();
  let res: ExecResult;
  try {
    res = become ? await execAsRoot(fresh, 'true', { timeoutMs: 20_000 }) : await fresh.exec('true', { timeoutMs: 20_000 });
  } catch (e) {
    // the connection's error names the host and address already
    throw new RunnerError(`a fresh login fails: ${mask(String((e as Error).message ?? e).split('\n')[0]!)}`);
  } finally {
    await fresh.close().catch(() => undefined);
  }
  if (res.exitCode !== 0)
    throw new RunnerError(
      `${r.host.name}: \`true\` over a fresh connection exited ${res.exitCode ?? res.signal}${res.stderr.trim() ? `: ${mask(res.stderr.trim().split('\n').at(-1)!)}` : ''}`,
    );
}

/**
 * Output lines as they come: to the events (the host log writes every one; the live views skip
 * quiet ones), except secret stdout, which only the module's own `onStdoutLine` sees.
 */
function lineSink(events: RunEvents, host: string, task: string, o: CommandOptions): (stream: 'stdout' | 'stderr', line: string) => void {
  const quiet = o.quiet || o.secret ? { quiet: true as const } : {};
  return (stream, line) => {
    if (stream === 'stdout' && o.onStdoutLine) o.onStdoutLine(line);
    if (stream === 'stdout' && o.secret) return;
    // a line the caller took (a progress report) is for the host log, not the live views
    const taken = o.onLine?.(stream, line) ? { quiet: true as const } : quiet;
    events.emit({ type: 'task:output', host, task, stream, line: mask(line), ...taken });
  };
}

/** The end of a command's output for `cmd:done` (the host log has all of it, line by line). */
const CMD_DONE_TAIL = 4096;
function lastBytes(text: string): string {
  if (text.length <= CMD_DONE_TAIL) return text;
  const cut = text.slice(-CMD_DONE_TAIL);
  const nl = cut.indexOf('\n');
  // Cut at a line start, so masking (which works on whole lines of a secret) still finds it.
  return `[${text.length - CMD_DONE_TAIL + nl + 1} characters before this are in the host log]\n${nl >= 0 ? cut.slice(nl + 1) : ''}`;
}
