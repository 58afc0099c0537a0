/**
 * A guided manual step: shows the instructions on the host's row (the live view stops for it),
 * then reads the operator's answer — done, not done (the step fails on this host), or, when
 * several hosts wait on the same step, done on all of them at once. Hosts ask one at a time;
 * Ctrl-C at the question stops the run as Ctrl-C does anywhere.
 * In a run without a terminal it refuses — the host fails, naming the step — unless
 * `skipNonInteractive: true`, which records the step as "pending" (result `pending: true`) so
 * the run goes on and a later check, or the operator, picks it up.
 * Never reports changed. Check mode: shows the instructions, asks nothing.
 *
 * @example
 * pause({ title: 'Upload the UCware 5 licence', instructions: ['Open https://{host}/admin/ → Administration → Lizenz', 'Upload the key, check the status line'], skipNonInteractive: true }, { id: 'licence' })
 */
import { defineModule, change, prompter, type Plan, ParamError, TaskFailed } from '../runner/module.ts';

export interface PauseParams {
  /** One line naming the step. */
  title: string;
  /** What the operator must do; `{host}` is replaced by the host's name (and `{address}` by its address). */
  instructions: string | string[];
  /** The question under the instructions; `{host}` is replaced. @default "Done on {host}?" */
  question?: string;
  /** Without a terminal: record "pending" instead of failing. @default false */
  skipNonInteractive?: boolean;
  /** Fail if nobody answers within this. @default none (wait) */
  timeoutSec?: number;
}

export interface PauseResult {
  /** The operator said it is done. */
  confirmed: boolean;
  /** Not confirmed because the run had no terminal (skipNonInteractive). */
  pending: boolean;
  /** ISO time of the answer (or of the pending record). */
  at: string;
}

const text = (p: PauseParams, host: { name: string; address: string }) =>
  [p.instructions].flat().map((l) => l.replaceAll('{host}', host.name).replaceAll('{address}', host.address));

/** Hosts waiting on a step with the same title; "all" confirms every one of them at once. */
const waiting = new Map<string, Set<{ host: string; confirmed?: boolean }>>();
const lastArrival = new Map<string, number>();
const SETTLE_MS = 1500;

/** The question on the host's row: its instructions in full, then done / all waiting / not done. */
async function askOperator(host: string, p: PauseParams, lines: string[]): Promise<'yes' | 'no' | undefined> {
  const me = { host } as { host: string; confirmed?: boolean };
  const peers = waiting.get(p.title) ?? new Set();
  waiting.set(p.title, peers.add(me));
  lastArrival.set(p.title, Date.now());
  try {
    // hosts running in parallel reach the step within moments of each other: let them join, so "all" is offered
    while (Date.now() - lastArrival.get(p.title)! < SETTLE_MS) await new Promise((r) => setTimeout(r, 100));
    const ask = prompter();
    const answer = await ask.select({
      host,
      message: `${host}: ${p.title}\n${lines.map((l) => `  - ${l}`).join('\n')}\n${(p.question ?? 'Done on {host}?').replaceAll('{host}', host)}`,
      choices: () => [
        { name: 'yes', message: `yes, on ${host}` },
        ...(peers.size > 1
          ? [{ name: 'all', message: `yes, on all ${peers.size} waiting: ${[...peers].map((w) => w.host).join(', ')}` }]
          : []),
        { name: 'no', message: `no: fail this step on ${host}` },
      ],
      skip: () => me.confirmed === true,
      timeoutMs: p.timeoutSec ? p.timeoutSec * 1000 : undefined,
    });
    if (answer === 'all') for (const w of peers) w.confirmed = true;
    return answer === 'all' || answer === 'skipped' ? 'yes' : (answer as 'yes' | 'no' | undefined);
  } finally {
    peers.delete(me);
    if (!peers.size) waiting.delete(p.title);
  }
}

export const pause = defineModule<PauseParams, undefined, PauseResult>({
  name: 'pause',
  summary: (p) => p.title,
  validate: (p) => {
    if (!p.title?.trim()) throw new ParamError('pause: "title" is empty');
    if ([p.instructions].flat().filter((l) => l?.trim()).length === 0) throw new ParamError('pause: "instructions" are empty');
  },
  plan,
  apply: async (ctx, p) => {
    const lines = text(p, ctx.host);
    const at = new Date().toISOString();
    if (!prompter().interactive()) {
      if (p.skipNonInteractive) {
        ctx.pending(`${p.title}:\n${lines.map((l) => `- ${l}`).join('\n')}`);
        return { changed: false, reason: `PENDING (no terminal to confirm): ${p.title}`, result: { confirmed: false, pending: true, at } };
      }
      throw new TaskFailed(
        `pause: "${p.title}" needs an operator at a terminal, and this run has none; do it by hand and re-run with --resume, or set skipNonInteractive: true. The step: ${lines.join(' / ')}`,
      );
    }
    const answer = await askOperator(ctx.host.name, p, lines);
    if (answer === undefined) throw new TaskFailed(`pause: no answer to "${p.title}" within ${p.timeoutSec} s`);
    if (answer === 'no') throw new TaskFailed(`pause: the operator answered "no" to "${p.title}" on ${ctx.host.name}`);
    return {
      changed: false,
      reason: `confirmed by the operator: ${p.title}`,
      result: { confirmed: true, pending: false, at: new Date().toISOString() },
    };
  },
});

/** Pure: the step is always to be done; the apply asks (the plan shows the instructions in check mode). */
export function plan(p: PauseParams): Plan<PauseResult> {
  return change(`manual step: ${p.title} — ${[p.instructions].flat().join(' / ')}`, { steps: [] });
}
