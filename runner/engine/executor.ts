/**
 * Runs one host's task list: when → facts → plan → (check: report | apply) → changedWhen /
 * failedWhen / until, blocks with rescue and always, handlers, and the resume journal.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CommandError, RunnerError, TaskFailed, UnreachableError } from '../model/errors.ts';
import { execAsRoot } from '../connection/sudo.ts';
import { sh, raw } from '../model/shell.ts';
import { mask } from '../model/secrets.ts';
import { emptyCounts } from '../output/recap.ts';
import type { Connection, ExecResult } from '../connection/connection.ts';
import type { Host } from '../inventory/load.ts';
import type { Applied, ModuleContext, Plan, CommandOptions, Step } from '../model/plan.ts';
import type { Block, HostView, Item, Outcome, Playbook, Task } from '../model/dsl.ts';
import type { RecapCounts, RunEvents, TaskStatus } from '../output/events.ts';
import type { Journal, JournalEntry } from './journal.ts';
import { tagsSelect, type TagFilter } from '../inventory/select.ts';

export interface HostRun {
  host: Host;
  conn: Connection;
  playbook: Playbook;
  events: RunEvents;
  journal?: Journal;
  check: boolean;
  tags: TagFilter;
  /** Tasks that completed in the run being resumed: taskId → entry. */
  resumed?: Map<string, JournalEntry>;
  resumedFrom?: string;
  /** The scheduler says stop (maxFail, anyErrorsFatal, Ctrl-C): no new task starts. */
  shouldStop: () => boolean;
  /** Called when a task fails for real, so the scheduler can re-check its limits. */
  onFailure: () => void;
  /** Prefix of task ids (`pre` for the preflight phase), so phases never share ids. */
  pathPrefix?: string;
  /** Counts to continue from (the preflight phase's), so the recap has one line per host. */
  counts?: RecapCounts;
  /** Earlier outcomes on this host (the preflight phase's), readable by `when` and params. */
  memory?: HostMemory;
}

/** What later tasks on a host can read of earlier ones. */
export interface HostMemory {
  byTask: Map<Task<unknown>, Outcome>;
  byId: Map<string, Outcome>;
}
export const newMemory = (): HostMemory => ({ byTask: new Map(), byId: new Map() });

export interface HostOutcome {
  counts: RecapCounts;
  status: 'ok' | 'failed' | 'unreachable' | 'stopped';
  /** A runner-level error (connection, internal), not a task's failure. */
  error?: string;
  /** Why the host failed: the failing task's message. */
  reason?: string;
}

/** Thrown up the block tree when a task failed and nothing rescued it. */
class HostFailed extends RunnerError {}
class HostUnreachable extends RunnerError {}
class HostStopped extends RunnerError {}

interface Scope {
  tags: string[];
  when: ((h: HostView) => boolean)[];
  become: boolean;
  /** Inside a block with a rescue: failures count as rescued if the rescue succeeds. */
  rescuable: boolean;
  path: string;
}

/** Stable task ids: position in the playbook plus name (or the task's own `id`). */
export function taskId(task: Task<unknown>, path: string): string {
  return task.options.id ?? `${path} ${task.name}`;
}

export async function runHost(r: HostRun): Promise<HostOutcome> {
  const counts = r.counts ?? emptyCounts();
  let lastFailure: string | undefined;
  const { byTask, byId } = r.memory ?? newMemory();
  const notified = new Set<string>();
  let pendingRescue = false;
  const { host, events } = r;

  const view: HostView = {
    name: host.name,
    address: host.address,
    user: host.user,
    vars: { ...(r.playbook.options.vars ?? {}), ...host.vars },
    tags: host.tags,
    groups: host.groups,
    check: r.check,
    result: <R>(t: Task<R> | string) => (typeof t === 'string' ? byId.get(t) : byTask.get(t as Task<unknown>)) as Outcome<R> | undefined,
    changed: (t) => (typeof t === 'string' ? byId.get(t) : byTask.get(t))?.changed ?? false,
  };

  const remember = (task: Task<unknown>, id: string, o: Outcome) => {
    byTask.set(task, o);
    byId.set(id, o);
    if (task.options.id) byId.set(task.options.id, o);
  };

  const done = (task: Task<unknown>, id: string, status: TaskStatus, o: Outcome, extra: { error?: string; diff?: Plan['diff']; durationMs: number; attempts?: number; resumed?: boolean }) => {
    // A module's own failure text (a command's stderr) reaches here unmasked.
    events.emit({ type: 'task:done', host: host.name, task: task.name, taskId: id, module: task.module.name, status, changed: o.changed, reason: mask(o.reason), ...extra });
    if (!extra.resumed) {
      r.journal?.record({ host: host.name, taskId: id, task: task.name, status, changed: o.changed, reason: o.reason, result: safeResult(o.result), at: new Date().toISOString() });
    } else {
      const prev = r.resumed!.get(id)!;
      r.journal?.record({ ...prev, from: prev.from ?? r.resumedFrom });
    }
  };

  const runTask = async (task: Task<unknown>, scope: Scope): Promise<void> => {
    if (r.shouldStop()) throw new HostStopped('rollout stopped');
    const id = taskId(task, scope.path);
    const tags = [...scope.tags, ...(task.options.tags ?? [])];
    if (!tagsSelect(tags, r.tags)) return;
    const started = Date.now();
    const prev = r.resumed?.get(id);
    if (prev && !task.options.rerunOnResume) {
      const o: Outcome = { changed: prev.changed, failed: false, skipped: prev.status === 'skipped', reason: `done in an earlier run: ${prev.reason}`, result: prev.result };
      remember(task, id, o);
      counts.skipped++;
      done(task, id, 'skipped', o, { durationMs: 0, resumed: true });
      return;
    }
    events.emit({ type: 'task:start', host: host.name, task: task.name, taskId: id, module: task.module.name });
    const skip = (reason: string) => {
      const o: Outcome = { changed: false, failed: false, skipped: true, reason, result: undefined };
      remember(task, id, o);
      counts.skipped++;
      done(task, id, 'skipped', o, { durationMs: Date.now() - started });
    };
    try {
      const conds = [...scope.when, ...(task.options.when ? [task.options.when] : [])];
      if (!conds.every((c) => c(view))) return skip('condition false');
    } catch (e) {
      return fail(task, id, scope, started, new TaskFailed(`"when" of task "${task.name}" threw: ${(e as Error).message}`, { cause: e }), 1);
    }
    if (r.check && task.options.verifiesChanges) {
      return skip('check mode: this task verifies what earlier tasks change, and check mode changes nothing');
    }
    if (r.check && task.module.checkMode === 'none' && !task.options.runInCheckMode) {
      return skip(`check mode: ${task.module.name} cannot predict its effect, not run`);
    }
    const opts = task.options;
    const attempts = 1 + (opts.retries ?? (opts.until ? 3 : 0));
    const delayMs = Math.max(0, (opts.delaySec ?? 5) * 1000);
    let last: { o: Outcome; diff?: Plan['diff'] } | undefined;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      lastError = undefined;
      try {
        last = await attemptTask(task, scope);
        if (opts.until) {
          if (opts.until(last.o)) break;
          lastError = new TaskFailed(`"until" still false after attempt ${attempt} of ${attempts}`);
        } else if (!last.o.failed) break;
      } catch (e) {
        if (e instanceof UnreachableError) {
          counts.unreachable++;
          const o: Outcome = { changed: false, failed: true, skipped: false, reason: e.message, result: undefined };
          remember(task, id, o);
          done(task, id, 'unreachable', o, { error: e.message, durationMs: Date.now() - started, attempts: attempt });
          throw new HostUnreachable(e.message, { cause: e });
        }
        lastError = e;
        last = undefined;
      }
      if (attempt < attempts) {
        events.emit({ type: 'task:output', host: host.name, task: task.name, stream: 'info', line: `attempt ${attempt} of ${attempts} failed; retrying in ${delayMs / 1000} s` });
        await sleep(delayMs);
        if (r.shouldStop()) break;
      }
    }
    if (last && !lastError && !last.o.failed) {
      last.o.durationMs = Date.now() - started;
      remember(task, id, last.o);
      counts.ok++;
      if (last.o.changed) {
        counts.changed++;
        for (const n of [opts.notify ?? []].flat()) notified.add(n);
      }
      done(task, id, last.o.changed ? 'changed' : 'ok', last.o, { diff: last.diff, durationMs: Date.now() - started, attempts: undefined });
      return;
    }
    const err = lastError ?? new TaskFailed(last?.o.reason ?? 'failed');
    if (last) remember(task, id, last.o);
    return fail(task, id, scope, started, err, attempts, last?.o);
  };

  const fail = (task: Task<unknown>, id: string, scope: Scope, started: number, err: unknown, attempts: number, o?: Outcome) => {
    const message = describeError(err, host.name, task.name);
    const outcome: Outcome = o ?? { changed: false, failed: true, skipped: false, reason: message, result: undefined };
    outcome.failed = true;
    remember(task, id, outcome);
    if (task.options.ignoreErrors) {
      counts.ignored++;
      done(task, id, 'ignored', outcome, { error: message, durationMs: Date.now() - started, attempts });
      return;
    }
    done(task, id, 'failed', outcome, { error: message, durationMs: Date.now() - started, attempts });
    lastFailure = `task "${task.name}": ${message.split('\n')[0]}`;
    if (scope.rescuable) pendingRescue = true;
    else {
      counts.failed++;
      r.onFailure();
    }
    throw new HostFailed(message);
  };

  const attemptTask = async (task: Task<unknown>, scope: Scope): Promise<{ o: Outcome; diff?: Plan['diff'] }> => {
    const become = task.options.become ?? scope.become;
    const ctx = moduleContext(r, task, become);
    const mod = task.module;
    const params = typeof task.params === 'function' ? (task.params as (h: HostView) => unknown)(view) : task.params;
    if (typeof task.params === 'function') mod.validate?.(params);
    const facts = mod.facts ? await mod.facts(ctx, params) : undefined;
    const plan = mod.plan(params, facts);
    let applied: Applied<unknown> = {};
    const live = !r.check || task.options.runInCheckMode;
    if (live && plan.changed) {
      applied = mod.apply ? await mod.apply(ctx, params, facts, plan) : await applySteps(ctx, plan.steps);
    }
    const o: Outcome = {
      changed: applied.changed ?? plan.changed,
      failed: applied.failed !== undefined,
      skipped: false,
      reason: applied.failed ?? applied.reason ?? plan.reason,
      result: applied.result ?? plan.result,
    };
    if (task.options.changedWhen) o.changed = task.options.changedWhen(o);
    if (task.options.failedWhen) {
      o.failed = task.options.failedWhen(o);
      if (o.failed && !applied.failed) o.reason = 'failedWhen condition true';
    }
    return { o, diff: applied.diff ?? plan.diff };
  };

  const runItems = async (items: Item[], scope: Scope): Promise<void> => {
    for (const [i, item] of items.entries()) {
      const path = scope.path ? `${scope.path}.${i}` : String(i);
      if (item.kind === 'task') await runTask(item, { ...scope, path });
      else await runBlock(item, { ...scope, path });
    }
  };

  const runBlock = async (b: Block, scope: Scope): Promise<void> => {
    const inner: Scope = {
      tags: [...scope.tags, ...(b.options.tags ?? [])],
      when: [...scope.when, ...(b.options.when ? [b.options.when] : [])],
      become: b.options.become ?? scope.become,
      rescuable: scope.rescuable || !!b.options.rescue?.length,
      path: scope.path,
    };
    let failure: unknown;
    try {
      await runItems(b.steps, { ...inner, rescuable: !!b.options.rescue?.length || scope.rescuable });
    } catch (e) {
      failure = e;
    }
    if (failure instanceof HostFailed && b.options.rescue?.length) {
      pendingRescue = false;
      try {
        await runItems(b.options.rescue, { ...inner, rescuable: scope.rescuable, path: `${scope.path}.rescue` });
        counts.rescued++;
        failure = undefined;
      } catch (e) {
        failure = e;
      }
    } else if (failure instanceof HostFailed && pendingRescue && !scope.rescuable) {
      pendingRescue = false;
      counts.failed++;
      r.onFailure();
    }
    if (b.options.always?.length && !(failure instanceof HostUnreachable)) {
      try {
        await runItems(b.options.always, { ...inner, rescuable: scope.rescuable, path: `${scope.path}.always` });
      } catch (e) {
        failure ??= e;
      }
    }
    if (failure) throw failure;
  };

  events.emit({ type: 'host:start', host: host.name });
  const root: Scope = { tags: [], when: [], become: r.playbook.options.become ?? false, rescuable: false, path: r.pathPrefix ?? '' };
  let status: HostOutcome['status'] = 'ok';
  let error: string | undefined;
  try {
    await r.conn.connect();
    await runItems(r.playbook.steps, root);
    const handlers = (r.playbook.options.handlers ?? []).filter((h) => notified.has(h.name));
    for (const [i, h] of handlers.entries()) await runTask(h, { ...root, path: `handler.${i}` });
  } catch (e) {
    if (e instanceof HostFailed) status = 'failed';
    else if (e instanceof HostUnreachable) {
      status = 'unreachable';
      lastFailure = e.message;
    }
    else if (e instanceof HostStopped) status = 'stopped';
    else if (e instanceof UnreachableError) {
      status = 'unreachable';
      counts.unreachable++;
      error = e.message;
      events.emit({ type: 'warn', host: host.name, message: e.message });
      r.onFailure();
    } else {
      status = 'failed';
      counts.failed++;
      error = describeError(e, host.name, '(runner)');
      events.emit({ type: 'warn', host: host.name, message: error });
      r.onFailure();
    }
  }
  events.emit({ type: 'host:done', host: host.name, counts, status, error });
  return { counts, status, error, reason: status === 'failed' ? (lastFailure ?? error) : status === 'unreachable' ? error ?? lastFailure : undefined };
}

function describeError(e: unknown, host: string, task: string): string {
  if (e instanceof CommandError) return mask(e.message);
  if (e instanceof RunnerError) return mask(e.message.includes(host) ? e.message : `${e.message} (host ${host}, task "${task}")`);
  const err = e instanceof Error ? e : new Error(String(e));
  return mask(`unexpected error in task "${task}" on ${host}: ${err.stack ?? err.message}`);
}

function safeResult(result: unknown): unknown {
  if (result === undefined) return undefined;
  try {
    JSON.stringify(result);
    return result;
  } catch {
    return String(result);
  }
}

function moduleContext(r: HostRun, task: Task<unknown>, become: boolean): ModuleContext {
  const { host, conn, events } = r;
  const timeoutMs = task.options.timeoutSec ? task.options.timeoutSec * 1000 : undefined;
  const ctx: ModuleContext = {
    host: { name: host.name, address: host.address, user: host.user, tags: host.tags, groups: host.groups, vars: { ...(r.playbook.options.vars ?? {}), ...host.vars } },
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
    run: async (cmd: string, o: CommandOptions = {}): Promise<ExecResult> => {
      const asRoot = o.become ?? become;
      events.emit({ type: 'cmd:start', host: host.name, task: task.name, command: mask(cmd), become: asRoot });
      const execOptions = { stdin: o.stdin, timeoutMs: o.timeoutMs ?? timeoutMs, onLine: lineSink(events, host.name, task.name, o) };
      // sudo (with its password, prompt and markers) is become.ts's business; a refusal throws BecomeError.
      const res = asRoot ? await execAsRoot(conn, cmd, execOptions) : await conn.exec(cmd, execOptions);
      const stdout = o.secret ? '' : mask(lastBytes(res.stdout));
      events.emit({ type: 'cmd:done', host: host.name, task: task.name, command: mask(cmd), exitCode: res.exitCode, signal: res.signal, stdout, stderr: mask(lastBytes(res.stderr)), durationMs: res.durationMs, ...(o.secret ? { secret: true } : {}) });
      const ok = o.okExitCodes === 'any' || (res.exitCode !== null && (o.okExitCodes ?? [0]).includes(res.exitCode));
      if (!ok) {
        const failure = {
          host: host.name, task: task.name, module: task.module.name, command: mask(cmd), exitCode: res.exitCode,
          signal: res.timedOut ? `SIGKILL (timed out after ${(o.timeoutMs ?? timeoutMs)! / 1000} s)` : res.signal,
          stdout: o.secret ? '' : mask(res.stdout),
          stderr: mask(res.stderr),
          durationMs: res.durationMs,
        };
        throw new CommandError(failure);
      }
      return res;
    },
  };
  return ctx;
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
    events.emit({ type: 'task:output', host, task, stream, line: mask(line), ...quiet });
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
