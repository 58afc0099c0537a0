/**
 * The one wait-and-try-again loop: a lock held by another process (apt, dpkg), a host going
 * down or coming back after a reboot. Each try says done or not yet; between tries the wait
 * grows `base·2ⁿ` up to a cap, plus jitter (Ansible's reboot: `2**n + random`, cap 12 s);
 * it gives up when the next wait would pass the deadline.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface Backoff {
  /** @default 1000 */
  baseMs?: number;
  /** @default 12000 */
  capMs?: number;
  /** Up to this much is added at random, so hosts that wait together do not retry together. @default 1000 */
  jitterMs?: number;
  /** Injectable for tests. @default Math.random */
  rand?: () => number;
}

/** The wait before attempt n+1 (n from 0). */
export function backoffMs(n: number, o: Backoff = {}): number {
  const base = o.baseMs ?? 1000;
  const cap = o.capMs ?? 12_000;
  return Math.min(cap, base * 2 ** Math.min(n, 20)) + Math.floor((o.rand ?? Math.random)() * (o.jitterMs ?? 1000));
}

/** One try's answer: done with a value, or not yet, with what was seen (the error, the lock). */
export type Try<T, L> = { done: T } | { again: L };

export interface RetryOptions<L> extends Backoff {
  /** Give up once the next wait would end after this long from the start. */
  timeoutMs: number;
  /** Wait before the first try too (the first wait is backoff 0). @default false */
  waitFirst?: boolean;
  /** Told before each wait, with what the last try saw. */
  onWait?: (last: L, waitMs: number, n: number) => void | Promise<void>;
}

export type Retried<T, L> =
  { ok: true; value: T; attempts: number; elapsedMs: number } | { ok: false; last: L; attempts: number; elapsedMs: number };

/** Calls `attempt(n, msLeft)` until it is done or the time is up. */
export async function retry<T, L>(o: RetryOptions<L>, attempt: (n: number, msLeft: number) => Promise<Try<T, L>>): Promise<Retried<T, L>> {
  const started = Date.now();
  const deadline = started + o.timeoutMs;
  const wait = (n: number) => (o.waitFirst ? n + 1 : n);
  if (o.waitFirst) await sleep(backoffMs(0, o));
  for (let n = 0; ; n++) {
    const t = await attempt(n, deadline - Date.now());
    if ('done' in t) return { ok: true, value: t.done, attempts: n + 1, elapsedMs: Date.now() - started };
    const ms = backoffMs(wait(n), o);
    if (Date.now() + ms >= deadline) return { ok: false, last: t.again, attempts: n + 1, elapsedMs: Date.now() - started };
    await o.onWait?.(t.again, ms, n);
    await sleep(ms);
  }
}
