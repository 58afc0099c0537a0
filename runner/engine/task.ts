/**
 * One task on one host: tags → resume → `when` → check mode → facts → plan → (apply) →
 * changedWhen / failedWhen, retried while `until` is false or the task fails, then counted,
 * journalled and announced. A failure that nothing ignores is thrown as HostFailed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CommandError, RunnerError, TaskFailed, UnreachableError } from '../model/errors.ts';
import { mask } from '../model/secrets.ts';
import { tagsSelect } from '../inventory/select.ts';
import { moduleContext } from './context.ts';
import { applySteps } from './steps.ts';
import { HostFailed, HostStopped, HostUnreachable, remember, taskId, type HostState, type Scope } from './state.ts';
import type { Applied, Plan } from '../model/plan.ts';
import type { HostView, Outcome, Task } from '../model/dsl.ts';
import type { TaskStatus } from '../output/events.ts';

type AnyTask = Task<unknown>;

/** One try's outcome and the diff to show. */
interface Attempt {
  o: Outcome;
  diff?: Plan['diff'];
}

/** Where a task is and when it started: what every report about it needs. */
interface Running {
  task: AnyTask;
  id: string;
  scope: Scope;
  started: number;
}

export async function runTask(s: HostState, task: AnyTask, scope: Scope): Promise<void> {
  const r = s.run;
  if (r.shouldStop()) throw new HostStopped('rollout stopped');
  const id = taskId(task, scope.path);
  const tags = [...scope.tags, ...(task.options.tags ?? [])];
  if (!tagsSelect(tags, r.tags)) return;
  const t: Running = { task, id, scope, started: Date.now() };
  const prev = r.resumed?.get(id);
  if (prev && !task.options.rerunOnResume) {
    const o: Outcome = {
      changed: prev.changed,
      failed: false,
      skipped: prev.status === 'skipped',
      reason: `done in an earlier run: ${prev.reason}`,
      result: prev.result,
    };
    remember(s, task, id, o);
    s.counts.skipped++;
    report(s, t, 'skipped', o, { durationMs: 0, resumed: true });
    return;
  }
  r.events.emit({
    type: 'task:start',
    host: r.host.name,
    task: task.name,
    taskId: id,
    module: task.module.name,
    ...(scope.phase ? { phase: scope.phase } : {}),
  });
  let skipReason: string | undefined;
  try {
    skipReason = whySkip(s, task, scope);
  } catch (e) {
    return fail(s, t, new TaskFailed(`"when" of task "${task.name}" threw: ${(e as Error).message}`, { cause: e }), 1);
  }
  if (skipReason !== undefined) return skip(s, t, skipReason);
  if (task.options.runOnce && r.once) return once(s, t, r.once);
  return retrying(s, t);
}

/** `runOnce`: the first host runs the task; the others wait for its outcome and take it. */
async function once(s: HostState, t: Running, shared: NonNullable<HostState['run']['once']>): Promise<void> {
  const ran = shared.get(t.id);
  if (ran) {
    const { host, o } = await ran;
    const mine: Outcome = { ...o, changed: false, reason: `run once on ${host}: ${o.reason}` };
    if (o.failed) return fail(s, t, new TaskFailed(mine.reason), 1, mine);
    remember(s, t.task, t.id, mine);
    s.counts.ok++;
    return report(s, t, 'ok', mine, { durationMs: Date.now() - t.started });
  }
  let settle!: (v: { host: string; o: Outcome }) => void;
  shared.set(t.id, new Promise((resolve) => (settle = resolve)));
  const failed: Outcome = { changed: false, failed: true, skipped: false, reason: 'failed', result: undefined };
  try {
    await retrying(s, t);
  } finally {
    settle({ host: s.run.host.name, o: s.memory.byId.get(t.id) ?? failed });
  }
}

/** Why the task does not run here (a false `when`, check mode), or undefined; a throwing `when` throws. */
function whySkip(s: HostState, task: AnyTask, scope: Scope): string | undefined {
  const conds = [...scope.when, ...(task.options.when ? [task.options.when] : [])];
  if (!conds.every((c) => c(s.view))) return 'condition false';
  if (!s.run.check) return undefined;
  if (task.options.verifiesChanges) return 'check mode: this task verifies what earlier tasks change, and check mode changes nothing';
  if (task.module.checkMode === 'none' && !task.options.runInCheckMode)
    return `check mode: ${task.module.name} cannot predict its effect, not run`;
  return undefined;
}

function skip(s: HostState, t: Running, reason: string): void {
  const o: Outcome = { changed: false, failed: false, skipped: true, reason, result: undefined };
  remember(s, t.task, t.id, o);
  s.counts.skipped++;
  report(s, t, 'skipped', o, { durationMs: Date.now() - t.started });
}

/** Attempts until one passes (and `until` holds), or none is left; then counts the outcome. */
async function retrying(s: HostState, t: Running): Promise<void> {
  const { run: r } = s;
  const opts = t.task.options;
  const attempts = 1 + (opts.retries ?? (opts.until ? 3 : 0));
  const delayMs = Math.max(0, (opts.delaySec ?? 5) * 1000);
  let last: Attempt | undefined;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    lastError = undefined;
    try {
      last = await attemptTask(s, t.task, t.scope);
      if (opts.until) {
        if (opts.until(last.o)) break;
        lastError = new TaskFailed(`"until" still false after attempt ${attempt} of ${attempts}`);
      } else if (!last.o.failed) break;
    } catch (e) {
      if (e instanceof UnreachableError) unreachable(s, t, e, attempt);
      lastError = e;
      last = undefined;
    }
    if (attempt < attempts) {
      r.events.emit({
        type: 'task:output',
        host: r.host.name,
        task: t.task.name,
        stream: 'info',
        line: `attempt ${attempt} of ${attempts} failed; retrying in ${delayMs / 1000} s`,
      });
      await sleep(delayMs);
      if (r.shouldStop()) break;
    }
  }
  if (last && !lastError && !last.o.failed) return succeed(s, t, last);
  const err = lastError ?? new TaskFailed(last?.o.reason ?? 'failed');
  if (last) remember(s, t.task, t.id, last.o);
  return fail(s, t, err, attempts, last?.o);
}

/** The link is gone: the task and the host are unreachable, no retry. */
function unreachable(s: HostState, t: Running, e: UnreachableError, attempt: number): never {
  s.counts.unreachable++;
  const o: Outcome = { changed: false, failed: true, skipped: false, reason: e.message, result: undefined };
  remember(s, t.task, t.id, o);
  report(s, t, 'unreachable', o, { error: e.message, durationMs: Date.now() - t.started, attempts: attempt });
  throw new HostUnreachable(e.message, { cause: e });
}

function succeed(s: HostState, t: Running, last: Attempt): void {
  last.o.durationMs = Date.now() - t.started;
  remember(s, t.task, t.id, last.o);
  s.counts.ok++;
  if (last.o.changed) {
    s.counts.changed++;
    for (const n of [t.task.options.notify ?? []].flat()) s.notified.add(n);
  }
  report(s, t, last.o.changed ? 'changed' : 'ok', last.o, { diff: last.diff, durationMs: Date.now() - t.started, attempts: undefined });
}

/** Counts a failure as ignored, or records it (rescued later or counted now) and throws HostFailed. */
function fail(s: HostState, t: Running, err: unknown, attempts: number, o?: Outcome): void {
  const { task } = t;
  const message = describeError(err, s.run.host.name, task.name);
  const outcome: Outcome = o ?? { changed: false, failed: true, skipped: false, reason: message, result: undefined };
  outcome.failed = true;
  remember(s, task, t.id, outcome);
  if (task.options.ignoreErrors) {
    s.counts.ignored++;
    report(s, t, 'ignored', outcome, { error: message, durationMs: Date.now() - t.started, attempts });
    return;
  }
  report(s, t, 'failed', outcome, { error: message, durationMs: Date.now() - t.started, attempts });
  s.lastFailure = `task "${task.name}": ${message.split('\n')[0]}`;
  if (t.scope.rescuable) s.pendingRescue = true;
  else {
    s.counts.failed++;
    s.run.onFailure();
  }
  throw new HostFailed(message);
}

/** One try: params → facts → plan → apply (unless check mode) → changedWhen / failedWhen. */
async function attemptTask(s: HostState, task: AnyTask, scope: Scope): Promise<Attempt> {
  const r = s.run;
  const ctx = moduleContext(r, task, task.options.become ?? scope.become);
  const mod = task.module;
  const params = typeof task.params === 'function' ? (task.params as (h: HostView) => unknown)(s.view) : task.params;
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
}

interface Report {
  error?: string;
  diff?: Plan['diff'];
  durationMs: number;
  attempts?: number;
  resumed?: boolean;
}

/** Announces the task's end and journals it (a resumed task keeps its earlier entry). */
function report(s: HostState, t: Running, status: TaskStatus, o: Outcome, extra: Report): void {
  const { host, events, journal } = s.run;
  const { task, id } = t;
  // A module's own failure text (a command's stderr) reaches here unmasked.
  events.emit({
    type: 'task:done',
    host: host.name,
    task: task.name,
    taskId: id,
    module: task.module.name,
    status,
    changed: o.changed,
    reason: mask(o.reason),
    ...extra,
  });
  if (!extra.resumed) {
    journal?.record({
      host: host.name,
      taskId: id,
      task: task.name,
      status,
      changed: o.changed,
      reason: o.reason,
      result: safeResult(o.result),
      at: new Date().toISOString(),
    });
  } else {
    const prev = s.run.resumed!.get(id)!;
    journal?.record({ ...prev, from: prev.from ?? s.run.resumedFrom });
  }
}

export function describeError(e: unknown, host: string, task: string): string {
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
