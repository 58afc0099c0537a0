/**
 * Running apt and dpkg on a host: a plan step that waits and retries while another process
 * holds an apt or dpkg lock (apt's own DPkg::Lock::Timeout does not cover the lists lock of
 * `apt-get update`, and apt < 1.9.11 has none), naming the holder; optionally detached on the
 * host (runner/connection/detached.ts) so a dropped SSH link does not kill dpkg half-way.
 */
import { exec, type ExecStep, type LockWait } from '../../runner/module.ts';
import { parseLockError } from '../facts/apt.ts';

/** An apt's or dpkg's lock held by another process, and dpkg's own errors when it fails for good. */
const aptLockWait = (waitMs: number): LockWait => ({
  waitMs,
  lockOf: (r) => parseLockError(r.stderr + '\n' + r.stdout),
  errorLines: (r) => dpkgErrors(r.stdout),
});

/**
 * An apt/dpkg line as a plan step: while it fails on a held lock, the runner waits (backoff,
 * cap 12 s) and tries again up to `lockWaitMs`, saying who holds the lock. Other failures fail the task.
 */
export const aptRun = (cmd: string, lockWaitMs: number, o: { detached?: boolean } = {}): ExecStep =>
  exec(cmd, { lockWait: aptLockWait(lockWaitMs), ...(o.detached ? { detached: true } : {}) });

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
