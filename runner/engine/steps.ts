/**
 * The default apply: a plan's steps run in order on the host. An exec step runs as `ctx.run`
 * does, or detached on the host, or waiting while another process holds a lock; an upload is
 * written atomically. What a step `report`s becomes the task's result and reason.
 */
import { CommandError, formatCommandFailure } from '../model/errors.ts';
import { sh, raw } from '../model/shell.ts';
import { mask } from '../model/secrets.ts';
import { runDetached } from '../connection/detached.ts';
import { retry } from './backoff.ts';
import type { ExecResult } from '../connection/connection.ts';
import type { Applied, ExecStep, HeldLock, ModuleContext, Step, UploadStep } from '../model/plan.ts';

export async function applySteps(ctx: ModuleContext, steps: Step[]): Promise<Applied<unknown>> {
  const applied: Applied<unknown> = {};
  for (const s of steps) {
    if (s.kind === 'upload' || !s.report) {
      await runStep(ctx, s);
      continue;
    }
    const r = await runExec(ctx, s, s.keepOnFailure ? 'any' : s.okExitCodes);
    const { result, reason } = s.report(r);
    if (result !== undefined) applied.result = result;
    if (reason !== undefined) applied.reason = reason;
    if (s.keepOnFailure && !accepted(r, s.okExitCodes)) return { result, failed: formatCommandFailure(failureOf(ctx, s.cmd, r)) };
  }
  return applied;
}

export function runStep(ctx: ModuleContext, s: Step): Promise<ExecResult> {
  if (s.kind === 'upload') return ctx.run(uploadLine(s), { stdin: s.content, quiet: true });
  return runExec(ctx, s, s.okExitCodes);
}

const accepted = (r: ExecResult, ok: number[] = [0]) => r.exitCode !== null && ok.includes(r.exitCode);

const failureOf = (ctx: ModuleContext, command: string, r: ExecResult) => ({
  host: ctx.host.name,
  task: ctx.task,
  module: ctx.module,
  command,
  exitCode: r.exitCode,
  signal: r.signal,
  stdout: r.stdout,
  stderr: r.stderr,
  durationMs: r.durationMs,
});

/** A step's progress lines become the row's bar instead of output. */
const progressOf = (ctx: ModuleContext, s: ExecStep) =>
  s.progress &&
  ((_stream: 'stdout' | 'stderr', line: string) => {
    const p = s.progress!(line);
    if (p) ctx.progress?.(p);
    return !!p;
  });

async function runExec(ctx: ModuleContext, s: ExecStep, okExitCodes: number[] | 'any' | undefined): Promise<ExecResult> {
  const keep = s.keep ?? (s.report ? 'full' : 'bounded');
  const onLine = progressOf(ctx, s);
  if (!s.detached && !s.lockWait)
    return ctx.run(s.cmd, { stdin: s.stdin, okExitCodes, timeoutMs: s.timeoutMs, argv: s.argv, keep, onLine });
  const detachedLine = onLine && ((stream: 'stdout' | 'stderr', l: string) => void (onLine(stream, l) || ctx.output(l)));
  const once = (): Promise<ExecResult> =>
    s.detached
      ? runDetached(ctx, s.cmd, { stdin: s.stdin, timeoutMs: s.timeoutMs, ...(detachedLine ? { onLine: detachedLine } : {}) })
      : ctx.run(s.cmd, { stdin: s.stdin, okExitCodes: 'any', timeoutMs: s.timeoutMs, argv: s.argv, keep, onLine });
  const ok = (r: ExecResult) => okExitCodes === 'any' || accepted(r, okExitCodes);
  const lockWait = s.lockWait;
  if (!lockWait) {
    const r = await once();
    if (ok(r)) return r;
    throw stepError(ctx, s, r);
  }
  const tried = await retry<ExecResult, { r: ExecResult; lock: HeldLock }>(
    { timeoutMs: lockWait.waitMs, onWait: (last, ms) => waitingFor(ctx, last.lock, ms) },
    async () => {
      const r = await once();
      if (ok(r)) return { done: r };
      const lock = lockWait.lockOf(r);
      if (!lock) throw stepError(ctx, s, r);
      return { again: { r, lock } };
    },
  );
  if (tried.ok) return tried.value;
  const { lock, r } = tried.last;
  throw stepError(
    ctx,
    s,
    r,
    `\n${lock.lock} still locked${lock.pid ? ` by process ${heldBy(lock)}` : ''} after ${Math.round(lockWait.waitMs / 1000)} s of waiting`,
  );
}

const heldBy = (l: HeldLock) => `${l.pid}${l.holder ? ` (${l.holder})` : ''}`;

/** Says who holds the lock (its `ps` line when the process is still there) and how long until the next try. */
async function waitingFor(ctx: ModuleContext, lock: HeldLock, ms: number): Promise<void> {
  const who = lock.pid ? ` held by process ${heldBy(lock)}` : '';
  const detail = lock.pid
    ? (await ctx.run(sh`ps -o pid=,etime=,args= -p ${String(lock.pid)} 2>/dev/null; true`, { quiet: true })).stdout.trim()
    : '';
  ctx.output(`${lock.lock} is locked${who}${detail ? ` [${detail}]` : ''}; trying again in ${Math.round(ms / 1000)} s`);
}

function stepError(ctx: ModuleContext, s: ExecStep, r: ExecResult, note = ''): CommandError {
  const lines = s.lockWait?.errorLines?.(r) ?? [];
  const f = failureOf(ctx, mask(s.cmd), r);
  return new CommandError({ ...f, stdout: mask(f.stdout), stderr: mask((lines.length ? lines.join('\n') + '\n' : '') + r.stderr + note) });
}

/**
 * Writes stdin to a temp file beside the target, sets mode/owner (or copies them from the
 * file it replaces), then renames it into place: readers see the old file or the new, never half.
 */
function uploadLine(s: UploadStep): string {
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
