/**
 * Running apt and dpkg on a host: bounded wait-and-retry while another process holds an apt
 * or dpkg lock (apt's own DPkg::Lock::Timeout does not cover the lists lock of `apt-get
 * update`, and apt < 1.9.11 has none), naming the holder; optionally detached on the host
 * (runner/connection/detached.ts) so a dropped SSH link does not kill dpkg half-way.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CommandError, sh, runDetached, type ModuleContext, type ExecResult } from '../../runner/module.ts';
import { parseLockError } from '../facts/apt.ts';
import { backoffMs } from './system.ts';

/**
 * Runs an apt/dpkg line; while it fails on a held lock, waits (backoff, cap 12 s) and tries
 * again up to `lockWaitMs`, saying who holds the lock. Other failures throw CommandError.
 */
export async function runApt(ctx: ModuleContext, cmd: string, lockWaitMs: number, o: { detached?: boolean; module?: string } = {}): Promise<ExecResult> {
  const deadline = Date.now() + lockWaitMs;
  for (let n = 0; ; n++) {
    const r: ExecResult = o.detached ? await runDetached(ctx, cmd) : await ctx.run(cmd, { okExitCodes: 'any' });
    if (r.exitCode === 0) return r;
    const lock = parseLockError(r.stderr + '\n' + r.stdout);
    const wait = backoffMs(n);
    if (lock && Date.now() + wait < deadline) {
      const who = lock.pid ? ` held by process ${lock.pid}${lock.holder ? ` (${lock.holder})` : ''}` : '';
      const detail = lock.pid ? (await ctx.run(sh`ps -o pid=,etime=,args= -p ${String(lock.pid)} 2>/dev/null; true`, { quiet: true })).stdout.trim() : '';
      ctx.output(`${lock.lock} is locked${who}${detail ? ` [${detail}]` : ''}; trying again in ${Math.round(wait / 1000)} s`);
      await sleep(wait);
      continue;
    }
    const lockNote = lock ? `\n${lock.lock} still locked${lock.pid ? ` by process ${lock.pid}${lock.holder ? ` (${lock.holder})` : ''}` : ''} after ${Math.round(lockWaitMs / 1000)} s of waiting` : '';
    const dpkg = dpkgErrors(r.stdout);
    throw new CommandError({
      host: ctx.host.name, task: ctx.task, module: o.module ?? 'aptUpgrade', command: cmd, exitCode: r.exitCode, signal: r.signal,
      stdout: r.stdout, stderr: (dpkg.length ? dpkg.join('\n') + '\n' : '') + r.stderr + lockNote, durationMs: r.durationMs,
    });
  }
}

/**
 * dpkg's own error lines from apt's stdout, with their indented continuation lines. apt runs
 * dpkg on a pty and copies it to stdout, so the cause ("dpkg: error: failed to write status
 * database …: No space left on device") is not on stderr, where the failure only says
 * "E: Sub-process /usr/bin/dpkg returned an error code (2)".
 */
export function dpkgErrors(stdout: string, max = 12): string[] {
  const out: string[] = [];
  let inError = false;
  for (const l of stdout.split('\n')) {
    if (/^dpkg(-[a-z]+)?: (error\b|dependency problems)|^Errors were encountered while processing:/.test(l)) inError = true;
    else if (!(inError && /^\s+\S/.test(l))) inError = false;
    if (inError) out.push(l);
  }
  return out.slice(-max);
}

