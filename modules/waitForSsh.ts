/**
 * Wait until the host answers: TCP connect to its SSH port, then SSH login on a fresh session,
 * then a test command. With `bootIdNot` it also waits for a boot id other than the one given
 * (the host has really rebooted). Backoff with jitter between tries (cap `maxDelaySec`); on
 * timeout it fails with the last error seen. Never changes anything; skipped in check mode.
 *
 * @example
 * waitForSsh({ timeoutSec: 900 })
 * waitForSsh((h) => ({ bootIdNot: h.result<RebootResult>('reboot')?.result?.bootIdBefore, stableSec: 10 }))
 */
import { defineModule, change, type Plan, ParamError, TimeoutError } from '../runner/module.ts';
import { waitUntilUp } from './lib/system.ts';

export interface WaitForSshParams {
  /** Give up after this long. @default 600 */
  timeoutSec?: number;
  /** Per TCP/SSH try. @default 5 */
  connectTimeoutSec?: number;
  /** Wait this long before the first try. @default 0 */
  delaySec?: number;
  /** Longest pause between tries (it grows 1, 2, 4 … s, plus jitter). @default 12 */
  maxDelaySec?: number;
  /** Must run with exit 0 (as the login user). @default 'true' */
  testCommand?: string;
  /** Only a different boot id counts as up. */
  bootIdNot?: string;
  /** After the first success, the host must still answer, with the same boot id, this much later. @default 0 */
  stableSec?: number;
}

export interface WaitForSshResult {
  /** Boot id of the system that answered. */
  bootId?: string;
  /** Tries made. */
  attempts: number;
  /** Time spent waiting. */
  elapsedMs: number;
}

export const waitForSsh = defineModule<WaitForSshParams, undefined, WaitForSshResult>({
  name: 'waitForSsh',
  checkMode: 'none',
  summary: (p) => `up to ${p.timeoutSec ?? 600} s${p.bootIdNot ? ', new boot id' : ''}`,
  validate: (p) => {
    for (const k of ['timeoutSec', 'connectTimeoutSec', 'delaySec', 'maxDelaySec', 'stableSec'] as const)
      if (p[k] !== undefined && !(p[k]! >= 0)) throw new ParamError(`waitForSsh: "${k}" must be a number ≥ 0`);
    if (p.timeoutSec === 0) throw new ParamError('waitForSsh: "timeoutSec" must be > 0');
  },
  plan,
  apply: async (ctx, p) => {
    if (ctx.connection.kind === 'local') return { changed: false, reason: 'local connection: nothing to wait for' };
    if (p.delaySec) await new Promise((r) => setTimeout(r, p.delaySec! * 1000));
    const timeoutMs = (p.timeoutSec ?? 600) * 1000;
    const w = await waitUntilUp(ctx.connection, {
      timeoutMs,
      connectTimeoutMs: (p.connectTimeoutSec ?? 5) * 1000,
      testCommand: p.testCommand ?? 'true',
      bootIdNot: p.bootIdNot,
      capMs: (p.maxDelaySec ?? 12) * 1000,
      stableMs: (p.stableSec ?? 0) * 1000,
      onTry: (pr, n) => !pr.ok && ctx.output(`try ${n}: ${pr.error}`),
    });
    if (!w.ok) throw new TimeoutError(`${ctx.host.name} (${ctx.connection.address}) to answer over SSH`, timeoutMs, w.lastError);
    return {
      changed: false,
      reason: `up after ${(w.elapsedMs / 1000).toFixed(1)} s, ${w.attempts} ${w.attempts === 1 ? 'try' : 'tries'}${w.bootId ? `, boot id ${w.bootId}` : ''}`,
      result: { bootId: w.bootId, attempts: w.attempts, elapsedMs: w.elapsedMs },
    };
  },
});

/**
 * Pure: nothing to decide before trying. The plan is a "change" only so that the runner calls
 * the apply, which waits and always reports `changed: false`.
 */
export function plan(p: WaitForSshParams): Plan<WaitForSshResult> {
  return change(`wait up to ${p.timeoutSec ?? 600} s for SSH${p.bootIdNot ? ` and a boot id other than ${p.bootIdNot}` : ''}`, {
    steps: [],
  });
}
