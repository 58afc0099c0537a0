/**
 * A guided manual step: prints the instructions, then waits for the operator to confirm on
 * the terminal (`y`/Enter: done, `n`: the step failed on this host). Hosts ask one at a time.
 * In a run without a terminal it refuses — the host fails, naming the step — unless
 * `skipNonInteractive: true`, which records the step as "pending" (result `pending: true`) so
 * the run goes on and a later check, or the operator, picks it up.
 * Never reports changed. Check mode: shows the instructions, asks nothing.
 *
 * @example
 * pause({ title: 'Upload the UCware 5 licence', instructions: ['Open https://{host}/admin/ → Administration → Lizenz', 'Upload the key, check the status line'], skipNonInteractive: true }, { id: 'licence' })
 */
import { createInterface } from 'node:readline';
import { defineModule, change, type Plan, ParamError, TaskFailed } from '../runner/module.ts';

export interface PauseParams {
  /** One line naming the step. */
  title: string;
  /** What the operator must do; `{host}` is replaced by the host's name (and `{address}` by its address). */
  instructions: string | string[];
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

/** Terminal access, replaceable in tests. */
export interface PauseIO {
  interactive(): boolean;
  ask(text: string, timeoutMs?: number): Promise<string | undefined>;
}

const ttyIO: PauseIO = {
  interactive: () => !!process.stdin.isTTY && !process.env.CI,
  ask: (text, timeoutMs) =>
    new Promise((resolve) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
      const t = timeoutMs ? setTimeout(() => (rl.close(), resolve(undefined)), timeoutMs) : undefined;
      rl.question(text, (a) => {
        if (t) clearTimeout(t);
        rl.close();
        resolve(a);
      });
    }),
};
let io: PauseIO = ttyIO;
/** For tests: answer the prompts. Returns a function that restores the terminal. */
export function setPauseIO(next: PauseIO): () => void {
  io = next;
  return () => {
    io = ttyIO;
  };
}

// one prompt at a time across hosts running in parallel
let queue: Promise<unknown> = Promise.resolve();
const serial = <T>(fn: () => Promise<T>): Promise<T> => {
  const next = queue.then(fn, fn);
  queue = next.catch(() => undefined);
  return next;
};

const text = (p: PauseParams, host: { name: string; address: string }) =>
  [p.instructions].flat().map((l) => l.replaceAll('{host}', host.name).replaceAll('{address}', host.address));

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
    if (!io.interactive()) {
      if (p.skipNonInteractive) {
        ctx.pending(`${p.title}:\n${lines.map((l) => `- ${l}`).join('\n')}`);
        return { changed: false, reason: `PENDING (no terminal to confirm): ${p.title}`, result: { confirmed: false, pending: true, at } };
      }
      throw new TaskFailed(`pause: "${p.title}" needs an operator at a terminal, and this run has none; do it by hand and re-run with --resume, or set skipNonInteractive: true. The step: ${lines.join(' / ')}`);
    }
    const answer = await serial(() =>
      io.ask(`\n=== ${ctx.host.name}: ${p.title}\n${lines.map((l) => `  - ${l}`).join('\n')}\nDone? [Y/n] `, p.timeoutSec ? p.timeoutSec * 1000 : undefined),
    );
    if (answer === undefined) throw new TaskFailed(`pause: no answer to "${p.title}" within ${p.timeoutSec} s`);
    if (/^\s*(n|no|abort)\s*$/i.test(answer)) throw new TaskFailed(`pause: the operator answered "${answer.trim()}" to "${p.title}"`);
    return { changed: false, reason: `confirmed by the operator: ${p.title}`, result: { confirmed: true, pending: false, at: new Date().toISOString() } };
  },
});

/** Pure: the step is always to be done; the apply asks (the plan shows the instructions in check mode). */
export function plan(p: PauseParams): Plan<PauseResult> {
  return change(`manual step: ${p.title} — ${[p.instructions].flat().join(' / ')}`, { steps: [] });
}
