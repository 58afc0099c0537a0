/**
 * Running apt and dpkg on a host: a plan step that waits and retries while another process
 * holds an apt or dpkg lock (apt's own DPkg::Lock::Timeout does not cover the lists lock of
 * `apt-get update`, and apt < 1.9.11 has none), naming the holder; optionally detached on the
 * host (runner/connection/detached.ts) so a dropped SSH link does not kill dpkg half-way.
 */
import { exec, type ExecStep, type LockWait, type Progress } from '../../runner/module.ts';
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
  exec(withStatusFd(cmd), { lockWait: aptLockWait(lockWaitMs), progress: aptStatus, ...(o.detached ? { detached: true } : {}) });

/** apt-get also writes machine-readable progress (`APT::Status-Fd`) to its stdout, beside the usual output. */
export const withStatusFd = (cmd: string): string => cmd.replace(/\bapt-get (?!.*APT::Status-Fd)/, 'apt-get -o APT::Status-Fd=1 ');

/**
 * One `APT::Status-Fd` line as progress: `dlstatus:ITEM:PERCENT:TEXT` while downloading (percent
 * of the bytes), `pmstatus:PACKAGE:PERCENT:TEXT` while dpkg unpacks and configures
 * ("Configuring ucware-core (amd64)"). Other lines are not progress.
 */
export function aptStatus(line: string): Progress | undefined {
  const m = /^(dl|pm)status:([^:]*):(\d+(?:\.\d+)?):(.*)$/.exec(line.trim());
  if (!m) return undefined;
  const percent = Math.max(0, Math.min(100, Number(m[3])));
  return { percent, label: `${m[1] === 'dl' ? 'download: ' : ''}${m[4]!.trim()}` };
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
