/**
 * Plan case tables, as pyinfra's tests/operations/<op>/*.json: `{ params, facts } → steps, or
 * the no-op reason, or the error`. A module's table is `tests/unit/modules/<file>.cases.ts`
 * (`export default cases(module, [...])`); tests/unit/modules/planCases.test.ts finds every
 * table and runs it, and fails for a module without one.
 *
 * Facts come from real host output: `replay` answers the commands the module's own `facts()`
 * runs with files captured from the lab (tests/fixtures/captured/<release>/, written by
 * capture.ts), so the module's own commands and parsers make the facts. A module that learns
 * from the controller (an API, a local file) gives `facts`, built from captures where there
 * are any.
 *
 * @example
 * export default cases(hostname, [
 *   { name: 'already set', params: { name: 'lab1' },
 *     replay: [{ run: 'hostname', out: 'bookworm/hostname.txt' }, { run: 'cat /etc/hosts', out: 'bookworm/etc-hosts.txt' }],
 *     expect: { noop: 'host name is already lab1' } },
 * ]);
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModuleCall } from '../../runner/module.ts';
import type { FileDiff, HostInfo, ModuleContext, Plan, Step } from '../../runner/model/plan.ts';
import type { ExecResult } from '../../runner/connection/connection.ts';

export const CAPTURED = join(import.meta.dirname, '..', 'fixtures', 'captured');

/** A captured raw file, e.g. `capture('bookworm/dpkg-query.txt')`. */
export const capture = (file: string): string => readFileSync(join(CAPTURED, file), 'utf8');

/** One answer to a command the module runs on the host: the first entry whose `run` is in the command line (and `stdin` in its stdin) answers. */
export interface Replay {
  run: string | RegExp;
  stdin?: string | RegExp;
  /** A captured file (path under tests/fixtures/captured/) as stdout. */
  out?: string;
  /** Literal stdout, for what is not host output (a file we wrote ourselves, an empty answer). */
  stdout?: string;
  exitCode?: number;
}

/** A string or a pattern, wherever the expected side has a string. */
type Like<T> = T extends string
  ? string | RegExp
  : T extends Buffer
    ? string | Buffer
    : T extends object
      ? { [K in keyof T]?: Like<T[K]> }
      : T;
export type StepLike = Like<Step>;

export type Expect =
  /** Nothing to do, and why. */
  | { noop: string | RegExp; result?: unknown }
  /** A change: the reason, exactly these steps in this order, and (when given) the diff and result. */
  | { reason: string | RegExp; steps: StepLike[]; diff?: Like<FileDiff>[] | null; result?: unknown }
  /** validate(), facts() or plan() refuse, with this message. */
  | { throws: string | RegExp };

export interface PlanCase<P> {
  name: string;
  params: P;
  replay?: Replay[];
  facts?: unknown;
  host?: Partial<HostInfo>;
  connection?: 'ssh' | 'local';
  expect: Expect;
}

export interface CaseTable {
  module: string;
  run(c: PlanCase<unknown>): Promise<void>;
  cases: PlanCase<unknown>[];
}

export function cases<P, R>(mod: ModuleCall<P, R>, list: PlanCase<P>[]): CaseTable {
  const def = mod.def;
  return {
    module: def.name,
    cases: list as PlanCase<unknown>[],
    async run(c) {
      const pc = c as PlanCase<P>;
      let plan: Plan<R>;
      try {
        def.validate?.(pc.params);
        const facts = pc.replay ? await replayFacts(def.name, pc, (ctx, p) => def.facts!(ctx, p)) : pc.facts;
        if (pc.replay && !def.facts) throw new Error(`${def.name} has no facts() to replay`);
        plan = def.plan(pc.params, facts);
      } catch (e) {
        if ('throws' in pc.expect) return like((e as Error).message, pc.expect.throws, 'error');
        throw e;
      }
      const x = pc.expect;
      if ('throws' in x) throw new Error(`expected an error like ${x.throws}, got a plan: ${plan.reason}`);
      if ('noop' in x) {
        if (plan.changed) throw new Error(`expected a no-op (${x.noop}), got a change: ${plan.reason}`);
        like(plan.reason, x.noop, 'reason');
        if (plan.steps.length) throw new Error(`a no-op with steps: ${JSON.stringify(plan.steps)}`);
      } else {
        if (!plan.changed) throw new Error(`expected a change (${x.reason}), got a no-op: ${plan.reason}`);
        like(plan.reason, x.reason, 'reason');
        if (plan.steps.length !== x.steps.length)
          throw new Error(`${plan.steps.length} steps, expected ${x.steps.length}:\n${show(plan.steps)}`);
        plan.steps.forEach((s, i) => like(s, x.steps[i], `steps[${i}]`));
        if (x.diff !== undefined) like(plan.diff ?? null, x.diff, 'diff');
      }
      if (x.result !== undefined) like(plan.result, x.result, 'result', true);
    },
  };
}

async function replayFacts<P>(module: string, c: PlanCase<P>, facts: (ctx: ModuleContext, p: P) => Promise<unknown>): Promise<unknown> {
  const used = new Set<Replay>();
  const host: HostInfo = { name: 'lab1', address: '10.250.0.11', user: 'root', tags: [], groups: [], vars: {}, ...c.host };
  const run = async (cmd: string, o: { stdin?: string | Buffer; okExitCodes?: number[] | 'any' } = {}): Promise<ExecResult> => {
    const stdin = o.stdin?.toString() ?? '';
    const r = c.replay!.find((x) => matches(cmd, x.run) && (x.stdin === undefined || matches(stdin, x.stdin)));
    if (!r)
      throw new Error(
        `${module} ran a command the case does not answer (add a replay entry):\n$ ${cmd}${stdin ? `\n  stdin: ${stdin.slice(0, 200)}` : ''}`,
      );
    used.add(r);
    const exitCode = r.exitCode ?? 0;
    const ok = o.okExitCodes === 'any' || (o.okExitCodes ?? [0]).includes(exitCode);
    if (!ok) throw new Error(`${module}: replayed exit ${exitCode} is not ok for: ${cmd}`);
    return {
      stdout: r.out !== undefined ? capture(r.out) : (r.stdout ?? ''),
      stderr: '',
      exitCode,
      signal: undefined,
      durationMs: 1,
    } as ExecResult;
  };
  const ctx = {
    host,
    task: c.name,
    module,
    check: true,
    become: true,
    run,
    runStep: (s: Step) =>
      s.kind === 'exec' ? run(s.cmd, s) : Promise.reject(new Error(`${module}: facts() may only read, not upload ${s.path}`)),
    connection: { kind: c.connection ?? 'ssh' } as ModuleContext['connection'],
    output: () => {},
    warn: () => {},
    pending: () => {},
    journal: { note: () => {}, recall: () => undefined },
    proveFreshLogin: () => Promise.reject(new Error(`${module}: facts() may only read, not log in again`)),
  } as ModuleContext;
  const f = await facts(ctx, c.params);
  const unused = c.replay!.filter((r) => !used.has(r));
  if (unused.length)
    throw new Error(`replay entries never asked for (the module no longer runs them?): ${unused.map((r) => String(r.run)).join(', ')}`);
  return f;
}

const matches = (text: string, want: string | RegExp) => (typeof want === 'string' ? text.includes(want) : want.test(text));

/** Deep comparison where an expected RegExp matches a string; keys set on either side must be on both, functions aside (`partial`: the expected keys only, at the top). */
function like(actual: unknown, want: unknown, at: string, partial = false): void {
  if (want instanceof RegExp) {
    if (typeof actual !== 'string' || !want.test(actual)) throw new Error(`${at}: ${JSON.stringify(actual)} does not match ${want}`);
    return;
  }
  if (Buffer.isBuffer(actual)) actual = actual.toString();
  if (Buffer.isBuffer(want)) want = want.toString();
  if (want === null || typeof want !== 'object' || actual === null || typeof actual !== 'object') {
    if (actual !== want) throw new Error(`${at}: ${JSON.stringify(actual)}, expected ${JSON.stringify(want)}`);
    return;
  }
  if (Array.isArray(want) !== Array.isArray(actual)) throw new Error(`${at}: ${JSON.stringify(actual)}, expected ${JSON.stringify(want)}`);
  // functions (a step's report, a lock wait's lockOf) are code, not data: tested where they are defined
  const keys = (o: object) =>
    Object.entries(o)
      .filter(([, v]) => v !== undefined && typeof v !== 'function')
      .map(([k]) => k)
      .sort();
  const [a, w] = [keys(actual), keys(want)];
  if (partial ? w.some((k) => !a.includes(k)) : a.join() !== w.join())
    throw new Error(`${at}: keys ${a.join(',')}, expected ${w.join(',')} in ${show(actual)}`);
  for (const k of w) like((actual as Record<string, unknown>)[k], (want as Record<string, unknown>)[k], `${at}.${k}`);
}

const show = (v: unknown) => JSON.stringify(v, (_k, x) => (Buffer.isBuffer(x) ? x.toString() : x), 1).slice(0, 2000);

/** `base` with the entries of `over` in place of those with the same `run` (and `stdin`). */
export const override = (base: Replay[], ...over: Replay[]): Replay[] =>
  base
    .map((b) => over.find((o) => String(o.run) === String(b.run) && String(o.stdin) === String(b.stdin)) ?? b)
    .concat(over.filter((o) => !base.some((b) => String(o.run) === String(b.run) && String(o.stdin) === String(b.stdin))));
