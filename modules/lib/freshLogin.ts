/**
 * After an apt run that moved OpenSSH: prove that a NEW connection still logs in before the
 * task lets the old one go. With the restart deferred (or an sshd the running listener can no
 * longer re-execute, as OpenSSH 10's split-out sshd-session does to a 9.x listener), the
 * connection that ran the upgrade keeps working while every new one is reset, so a PBX would be
 * left unreachable at the next reconnect. If the proof fails, ssh is restarted over the old
 * connection (still open) and the proof is repeated for up to ~10 s.
 *
 * @example
 * if (movesOpenssh(moves)) {
 *   const login = await ensureFreshLogin(ctx);
 *   ctx.output(login.message);
 *   if (!login.ok) return { result, failed: `aptUpgrade on ${ctx.host.name}: ${login.message}` };
 * }
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ModuleContext } from '../../runner/module.ts';
import type { PackageMove } from '../facts/apt.ts';

/** Binaries of the openssh source whose upgrade replaces what sshd runs for a new login. */
const OPENSSH = new Set(['openssh-server', 'openssh-sftp-server', 'openssh-client']);

export const movesOpenssh = (moves: PackageMove[]): boolean => moves.some((m) => OPENSSH.has(m.name.replace(/:[a-z0-9]+$/, '')));

/** systemd's unit where systemd runs (sd_booted's test), the init script elsewhere. */
export const RESTART_SSH = 'if [ -d /run/systemd/system ]; then systemctl restart ssh; else /etc/init.d/ssh restart; fi';

export interface FreshLogin {
  ok: boolean;
  /** For the task's reason, result and output. */
  message: string;
  /** The restart over the old connection ran. */
  restarted: boolean;
}

/** Pure: the report from the first proof's error and, after the restart, the second's. */
export function freshLoginReport(firstError: string | undefined, secondError?: string): FreshLogin {
  if (firstError === undefined) return { ok: true, restarted: false, message: 'openssh-server moved; a fresh login works' };
  const failed = `openssh-server moved; new logins failed (${firstError}); restarted ssh over the existing connection`;
  if (secondError === undefined) return { ok: true, restarted: true, message: `${failed}; a fresh login works now` };
  return { ok: false, restarted: true, message: `${failed}; a fresh login still fails (${secondError}); the old connection is kept open` };
}

type Ctx = Pick<ModuleContext, 'run' | 'proveFreshLogin' | 'output'>;

const attempt = (ctx: Ctx): Promise<string | undefined> =>
  ctx.proveFreshLogin().then(
    () => undefined,
    (e: Error) => e.message,
  );

/** Prove → (restart over the old connection → prove again, up to `waitMs`) → the report. */
export async function ensureFreshLogin(ctx: Ctx, o: { waitMs?: number; everyMs?: number } = {}): Promise<FreshLogin> {
  const first = await attempt(ctx);
  if (first === undefined) return freshLoginReport(undefined);
  ctx.output(`new logins fail (${first}): restarting ssh over the existing connection`);
  const restart = await ctx.run(RESTART_SSH, { okExitCodes: 'any' });
  if (restart.exitCode !== 0)
    return freshLoginReport(first, `${RESTART_SSH} exited ${restart.exitCode}: ${restart.stderr.trim().split('\n').at(-1) ?? ''}`);
  const deadline = Date.now() + (o.waitMs ?? 10_000);
  let second = await attempt(ctx);
  while (second !== undefined && Date.now() < deadline) {
    await sleep(o.everyMs ?? 1000);
    second = await attempt(ctx);
  }
  return freshLoginReport(first, second);
}
