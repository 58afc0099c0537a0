/**
 * A lock file holding its owner's pid, taken with O_EXCL: one lab operation (or VM build) at a
 * time across the CLI, tests and CI. A lock whose owner has died is taken over, not waited for.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function pidAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

export function pidFromFile(file: string): number | undefined {
  try {
    const t = readFileSync(file, 'utf8').trim();
    return t ? Number(t) : undefined;
  } catch {
    return undefined;
  }
}

export interface PidLockOptions {
  /** Gives up after this long, with `busy(holder)` as the error. */
  timeoutMs: number;
  busy: (holder: number | undefined) => Error;
  /** Called once when the lock is found held by a live process. */
  onWait?: (holder: number | undefined) => void;
}

/** Waits for the lock, runs `fn`, releases it. */
export async function withPidLock<T>(file: string, o: PidLockOptions, fn: () => Promise<T> | T): Promise<T> {
  mkdirSync(dirname(file), { recursive: true });
  const deadline = Date.now() + o.timeoutMs;
  let said = false;
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = pidFromFile(file);
      if (holder === process.pid || !pidAlive(holder)) {
        rmSync(file, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw o.busy(holder);
      if (!said) o.onWait?.(holder);
      said = true;
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(file, { force: true });
  }
}
