/**
 * The terminal view: listr2 rows, one per host of the running batch, each showing the current
 * task, its elapsed time and the last output line. The only file that imports listr2.
 */
import { Listr, PromptError, type ListrTaskWrapper } from 'listr2';
import { ListrEnquirerPromptAdapter } from '@listr2/prompt-adapter-enquirer';
import { registerSecret } from '../model/secrets.ts';
import { PromptInterrupted, setPrompter, type Prompter } from '../model/prompt.ts';
import { unifiedDiff } from './diff.ts';
import { preflightTable } from './plain.ts';
import type { RunEvent, RunEvents } from './events.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- listr2's renderer generics add nothing here
type Wrapper = ListrTaskWrapper<unknown, any, any>;

interface Row {
  wrapper?: Wrapper;
  task?: string;
  since: number;
  notes: string[];
  /** Set when the host finished: null for success, else the error to show. */
  finished?: Error | null;
  settle?: (error: Error | null) => void;
  finalTitle?: string;
  /** The running command's last progress report: the row's bar. */
  progress?: { percent: number; label: string };
}

export interface ListrView {
  /** Resolves once the last batch's rows have been drawn for good. */
  finish(): Promise<void>;
}

interface View {
  rows: Map<string, Row>;
  /** The batches' drawing, one after the other. */
  drawing: Promise<void>;
  diff: boolean;
  log: (line: string) => void;
  rollout: Rollout;
}

export interface ListrOptions {
  diff: boolean;
  log: (line: string) => void;
  /** Throws away keys typed before a question showed. */
  discardTypeAhead: () => Promise<void>;
}

export function attachListr(events: RunEvents, o: ListrOptions): ListrView {
  const view: View = { rows: new Map(), drawing: Promise.resolve(), diff: o.diff, log: o.log, rollout: newRollout() };
  const fallback = setPrompter(rowPrompter(view, o.discardTypeAhead, () => fallback));
  const ticker = setInterval(() => {
    for (const [h, r] of view.rows) if (r.wrapper && r.task !== undefined && r.finished === undefined) r.wrapper.title = title(h, r);
    if (view.rollout.wrapper) view.rollout.wrapper.title = rolloutTitle(view.rollout);
  }, 1000);
  ticker.unref();
  events.on((e) => {
    trackRollout(view.rollout, e);
    switch (e.type) {
      case 'batch:start':
        return startBatch(view, e.hosts);
      case 'task:start': {
        const r = view.rows.get(e.host);
        if (r) {
          r.task = e.task;
          r.since = Date.now();
          r.progress = undefined;
          // the previous task's last line must not stand under this one
          if (r.wrapper) ((r.wrapper.title = title(e.host, r)), (r.wrapper.output = ''));
        }
        return;
      }
      case 'task:output': {
        const r = view.rows.get(e.host);
        const last = e.line
          .split('\r')
          .filter((l) => l.trim())
          .at(-1);
        if (r?.wrapper && last && !e.quiet && !r.progress) r.wrapper.output = last;
        return;
      }
      case 'task:progress': {
        const r = view.rows.get(e.host);
        if (!r) return;
        r.progress = { percent: e.percent, label: e.label };
        if (r.wrapper && r.finished === undefined) r.wrapper.output = progressLine(r.progress);
        return;
      }
      case 'task:done': {
        const r = view.rows.get(e.host);
        if (!r) return;
        if (e.status === 'failed' || e.status === 'unreachable') r.notes.push(`${e.status}: ${e.task}\n${e.error ?? e.reason}`);
        // a bar stops where the command ended: full when it succeeded
        if (r.progress && r.wrapper && (e.status === 'ok' || e.status === 'changed'))
          r.wrapper.output = progressLine({ percent: 100, label: `${e.task}: done` });
        if (view.diff && e.diff) r.notes.push(...e.diff.map(unifiedDiff));
        return;
      }
      case 'host:done':
        return hostDone(view, e);
      case 'warn':
        if (!e.host) view.log(`WARNING: ${e.message}`);
        return;
      case 'preflight:done': {
        const lines = preflightTable(e.go, e.noGo, e);
        view.drawing = view.drawing.then(() => lines.forEach((l) => view.log(l)));
        return;
      }
    }
  });
  return {
    finish: async () => {
      await view.drawing;
      clearInterval(ticker);
      setPrompter(fallback);
    },
  };
}

const title = (host: string, r: Row) =>
  `${host.padEnd(14)} ${r.task ?? 'connecting'}  ${dim(`${Math.round((Date.now() - r.since) / 1000)}s`)}`;

function finalize(host: string, r: Row): void {
  r.wrapper!.title = r.finalTitle ?? host;
  if (r.notes.length && r.finished === null) r.wrapper!.output = r.notes.join('\n');
  r.settle!(r.finished!);
}

/** A listr2 list with one row per host of the batch, drawn once the previous batch is done. */
function startBatch(view: View, hosts: string[]): void {
  for (const host of hosts) view.rows.set(host, { since: Date.now(), notes: [] });
  const rolloutRow = view.rollout.total > 1 ? [rolloutTask(view, hosts)] : [];
  const batch = new Listr(
    [
      ...rolloutRow,
      ...hosts.map((host) => ({
        title: host,
        task: (_ctx: unknown, wrapper: Wrapper) =>
          new Promise<void>((resolve, reject) => {
            const row = view.rows.get(host)!;
            row.wrapper = wrapper;
            row.settle = (err) => (err ? reject(err) : resolve());
            if (row.finished !== undefined) finalize(host, row);
            else wrapper.title = title(host, row);
          }),
      })),
    ],
    {
      concurrent: true,
      exitOnError: false,
      collectErrors: false,
      // listr2's own SIGINT handler exits 127 at once; ours lets running tasks finish and prints the recap.
      registerSignalListeners: false,
      rendererOptions: { outputBar: 1, persistentOutput: true, collapseErrors: false, showErrorMessage: true },
    },
  );
  view.drawing = view.drawing.then(() =>
    batch.run().then(
      () => undefined,
      () => undefined,
    ),
  );
}

function hostDone(view: View, e: Extract<RunEvent, { type: 'host:done' }>): void {
  const r = view.rows.get(e.host);
  if (!r) return;
  const c = e.counts;
  const summary = `ok=${c.ok} changed=${c.changed} failed=${c.failed} skipped=${c.skipped}`;
  r.finalTitle = `${e.host.padEnd(14)} ${e.status === 'ok' ? 'done' : e.status}  ${dim(summary)}`;
  if (e.error) r.notes.push(e.error);
  r.finished = e.status === 'ok' ? null : new Error(r.notes.at(-1)?.split('\n')[0] ?? e.status);
  r.task = undefined;
  if (r.wrapper) finalize(e.host, r);
}

// ---- progress -------------------------------------------------------------------------------

const BAR = 24;

/** `[██████████░░░░░░░░░░░░░░]  42% Configuring ucware-core (amd64)` */
export function progressLine(p: { percent: number; label: string }): string {
  const filled = Math.round((p.percent / 100) * BAR);
  return `[${'█'.repeat(filled)}${'░'.repeat(BAR - filled)}] ${String(Math.floor(p.percent)).padStart(3)}% ${p.label}`;
}

interface Rollout {
  total: number;
  done: number;
  startedAt: Map<string, number>;
  /** Durations of finished hosts, for the estimate. */
  took: number[];
  batchSize: number;
  wrapper?: Wrapper;
}

const newRollout = (): Rollout => ({ total: 0, done: 0, startedAt: new Map(), took: [], batchSize: 1 });

function trackRollout(r: Rollout, e: RunEvent): void {
  if (e.type === 'run:start') r.total = e.hosts.length;
  if (e.type === 'batch:start' && e.phase !== 'preflight') r.batchSize = e.hosts.length;
  if (e.type === 'host:start') r.startedAt.set(e.host, Date.now());
  if (e.type === 'host:done' && r.startedAt.has(e.host)) {
    r.done++;
    r.took.push(Date.now() - r.startedAt.get(e.host)!);
  }
}

/** `rollout: 2/10 hosts done · about 12 min left` — the estimate from the hosts finished so far, batch by batch. */
export function rolloutTitle(r: Pick<Rollout, 'total' | 'done' | 'took' | 'batchSize'>): string {
  const left = r.total - r.done;
  if (!r.took.length || !left) return `rollout: ${r.done}/${r.total} hosts done`;
  const avg = r.took.reduce((a, b) => a + b, 0) / r.took.length;
  const ms = avg * Math.ceil(left / Math.max(1, r.batchSize));
  const eta = ms < 90_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
  return `rollout: ${r.done}/${r.total} hosts done · about ${eta} left`;
}

/** The batch's first row: the rollout so far; done when the batch's hosts are. */
function rolloutTask(view: View, hosts: string[]) {
  return {
    title: rolloutTitle(view.rollout),
    task: (_ctx: unknown, wrapper: Wrapper) =>
      new Promise<void>((resolve) => {
        view.rollout.wrapper = wrapper;
        const check = setInterval(() => {
          if (hosts.every((h) => view.rows.get(h)?.finished !== undefined)) {
            clearInterval(check);
            wrapper.title = rolloutTitle(view.rollout);
            resolve();
          }
        }, 200);
      }),
  };
}

const dim = (s: string) => (process.env.NO_COLOR ? s : `\x1b[2m${s}\x1b[22m`);

// ---- questions on a host's row ----------------------------------------------------------------

/**
 * Questions through listr2's prompt support (enquirer): the renderer stops drawing the row's
 * output and shows the question in full under the host, then reads the answer. A question about
 * no host, or a host without a live row, goes to the prompter installed before the view.
 */
function rowPrompter(view: View, discardTypeAhead: () => Promise<void>, fallback: () => Prompter): Prompter {
  const ask = async <T>(host: string | undefined, what: string, options: object, timeoutMs?: number): Promise<T | undefined> => {
    const name = rowFor(host);
    const row = name ? view.rows.get(name) : undefined;
    if (!row?.wrapper || row.finished !== undefined) return undefined;
    await discardTypeAhead();
    const adapter = row.wrapper.prompt(ListrEnquirerPromptAdapter);
    let timedOut = false;
    const t = timeoutMs ? setTimeout(() => ((timedOut = true), adapter.cancel({ throw: true })), timeoutMs) : undefined;
    try {
      return (await adapter.run(options as never)) as T;
    } catch (e) {
      if (timedOut) return undefined;
      if (e instanceof PromptError) throw new PromptInterrupted(what);
      throw e;
    } finally {
      if (t) clearTimeout(t);
    }
  };
  const live = (host: string) => !!view.rows.get(host)?.wrapper && view.rows.get(host)?.finished === undefined;
  // a question about no host (a key's passphrase while connecting) goes on the first live row, so the view still stops for it
  const rowFor = (host?: string) => (host ? (live(host) ? host : undefined) : [...view.rows.keys()].find(live));
  const hasRow = (host?: string) => rowFor(host) !== undefined;
  return {
    interactive: () => !!process.stdin.isTTY && !process.env.CI,
    select: (q) =>
      hasRow(q.host)
        ? ask<string>(q.host, q.message.split('\n')[0]!, { type: 'select', message: q.message, choices: q.choices }, q.timeoutMs)
        : fallback().select(q),
    secret: async (q) => {
      if (!hasRow(q.host)) return fallback().secret(q);
      const value = await ask<string>(q.host, q.message, { type: 'password', message: q.message });
      if (value !== undefined) registerSecret(value);
      return value;
    },
  };
}
