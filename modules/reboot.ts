/**
 * Reboot the host and wait until it is back: reads the boot id, starts the reboot detached
 * (so the connection dropping under it is success, not an error), resets the connection,
 * waits for the host to go down (`downTimeoutSec`), then for a new boot id plus a test command
 * (`upTimeoutSec`), with exponential backoff and jitter (cap 12 s). Refuses a local
 * connection. `onlyIfRequired` reboots only when /var/run/reboot-required exists.
 * Check mode: full (says whether it would reboot). Reports elapsed time and both boot ids.
 *
 * @example
 * reboot({ onlyIfRequired: true, upTimeoutSec: 900, postRebootDelaySec: 10 }, { become: true, id: 'reboot' })
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  defineModule,
  change,
  noop,
  retry,
  type Plan,
  CommandError,
  ParamError,
  TimeoutError,
  UnreachableError,
  sh,
} from '../runner/module.ts';
import { BOOT_ID_COMMAND, probeHost, waitUntilUp } from './lib/system.ts';

export interface RebootParams {
  /** Reboot only when the host says it needs to (/var/run/reboot-required). @default false */
  onlyIfRequired?: boolean;
  /** Seconds between the command and the reboot (in seconds, not rounded to minutes). @default 0 */
  preRebootDelaySec?: number;
  /** Seconds to wait after the host went down before polling it. @default 0 */
  postRebootDelaySec?: number;
  /** The old boot id must stop answering within this. @default 120 */
  downTimeoutSec?: number;
  /** After it went down: a new boot id and a passing test command within this. @default 600 */
  upTimeoutSec?: number;
  /** Per TCP/SSH try. @default 5 */
  connectTimeoutSec?: number;
  /** Run after the reboot; must exit 0. @default 'true' */
  testCommand?: string;
  /** The host must stay up with the same boot id for this long. @default 0 */
  stableSec?: number;
  /** The reboot command (run as root when the task has become). @default 'reboot' */
  command?: string;
}

export interface RebootResult {
  /** The host was rebooted by this task. */
  rebooted: boolean;
  /** /proc/sys/kernel/random/boot_id before. */
  bootIdBefore: string;
  /** … and after the reboot. */
  bootIdAfter?: string;
  /** Seconds from the command until the old system stopped answering. */
  downAfterSec?: number;
  /** From the command until the test command passed. */
  elapsedSec?: number;
  /** Packages named in /var/run/reboot-required.pkgs. */
  requiredBy: string[];
}

interface Facts {
  bootId: string;
  required: boolean;
  requiredBy: string[];
  connection: 'ssh' | 'local';
}

export const reboot = defineModule<RebootParams, Facts, RebootResult>({
  name: 'reboot',
  summary: (p) => (p.onlyIfRequired ? 'if required' : 'now'),
  validate: (p) => {
    for (const k of [
      'preRebootDelaySec',
      'postRebootDelaySec',
      'downTimeoutSec',
      'upTimeoutSec',
      'connectTimeoutSec',
      'stableSec',
    ] as const)
      if (p[k] !== undefined && !(p[k]! >= 0)) throw new ParamError(`reboot: "${k}" must be a number ≥ 0`);
  },
  facts: async (ctx) => {
    if (ctx.connection.kind === 'local') return { bootId: '', required: false, requiredBy: [], connection: 'local' };
    const r = await ctx.run(
      `${BOOT_ID_COMMAND}; if [ -e /var/run/reboot-required ]; then echo required; cat /var/run/reboot-required.pkgs 2>/dev/null; fi`,
      { quiet: true, become: false },
    );
    const [bootId = '', flag, ...pkgs] = r.stdout.trim().split('\n');
    return {
      bootId: bootId.trim(),
      required: flag === 'required',
      requiredBy: [...new Set(pkgs.map((x) => x.trim()).filter(Boolean))],
      connection: 'ssh',
    };
  },
  plan,
  apply: async (ctx, p, f, pl) => {
    if (!pl.changed) return {};
    const started = Date.now();
    const connectTimeoutMs = (p.connectTimeoutSec ?? 5) * 1000;
    const before = f.bootId;
    const line = `sleep ${1 + (p.preRebootDelaySec ?? 0)}; ${p.command ?? 'reboot'}`;
    try {
      await ctx.run(sh`nohup sh -c ${line} >/dev/null 2>&1 &`, { timeoutMs: 15_000 });
    } catch (e) {
      // the link may go before the shell returns: that is the reboot working
      if (!(e instanceof UnreachableError) && !(e instanceof CommandError && e.failure.exitCode === null)) throw e;
    }
    ctx.output(`reboot issued (boot id ${before}); waiting for the host to go down`);
    await ctx.connection.reset();

    // down: the old system stops answering (or a new boot id shows up already)
    const downTimeoutMs = (p.downTimeoutSec ?? 120) * 1000;
    const down = await retry<string | undefined, string | undefined>(
      { timeoutMs: downTimeoutMs, waitFirst: true, baseMs: 250, capMs: 2000, jitterMs: 0 },
      async () => {
        const pr = await probeHost(ctx.connection, { connectTimeoutMs, bootIdNot: before });
        return pr.ok || !pr.bootId ? { done: pr.ok ? pr.bootId : undefined } : { again: pr.error };
      },
    );
    if (!down.ok) throw new TimeoutError(`${ctx.host.name} to go down after \`${p.command ?? 'reboot'}\``, downTimeoutMs, down.last);
    const early = down.value;
    const downAfterSec = (Date.now() - started) / 1000;
    ctx.output(early ? `back already with boot id ${early}` : `down after ${downAfterSec.toFixed(1)} s`);
    if (p.postRebootDelaySec) await sleep(p.postRebootDelaySec * 1000);

    const upTimeoutMs = (p.upTimeoutSec ?? 600) * 1000;
    const w = await waitUntilUp(ctx.connection, {
      timeoutMs: upTimeoutMs,
      connectTimeoutMs,
      bootIdNot: before,
      testCommand: p.testCommand ?? 'true',
      stableMs: (p.stableSec ?? 0) * 1000,
      onTry: (pr, n) => !pr.ok && ctx.output(`try ${n}: ${pr.error}`),
    });
    if (!w.ok) throw new TimeoutError(`${ctx.host.name} to come back with a new boot id after the reboot`, upTimeoutMs, w.lastError);
    const elapsedSec = Math.round((Date.now() - started) / 100) / 10;
    return {
      reason: `rebooted in ${elapsedSec} s (down after ${downAfterSec.toFixed(1)} s); boot id ${before} → ${w.bootId}`,
      result: { rebooted: true, bootIdBefore: before, bootIdAfter: w.bootId, downAfterSec, elapsedSec, requiredBy: f.requiredBy },
    };
  },
});

/** Pure: refuse local, skip when not required, else reboot. */
export function plan(p: RebootParams, f: Facts): Plan<RebootResult> {
  if (f.connection === 'local')
    throw new ParamError('reboot: refusing to reboot through a local connection (that is the controller itself)');
  const base = { rebooted: false, bootIdBefore: f.bootId, requiredBy: f.requiredBy };
  if (p.onlyIfRequired && !f.required) return noop('no reboot required (/var/run/reboot-required absent)', base);
  const why = f.required ? `reboot required${f.requiredBy.length ? ` by ${f.requiredBy.join(', ')}` : ''}` : 'reboot';
  return change(`${why}; boot id now ${f.bootId}`, { steps: [], result: base });
}
