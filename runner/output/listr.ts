/**
 * The terminal view: listr2 rows, one per host of the running batch, each showing the current
 * task, its elapsed time and the last output line. The only file that imports listr2.
 */
import { Listr, type ListrTaskWrapper } from 'listr2';
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
}

export function attachListr(events: RunEvents, o: { diff: boolean; log: (line: string) => void }): ListrView {
  const view: View = { rows: new Map(), drawing: Promise.resolve(), diff: o.diff, log: o.log };
  const ticker = setInterval(() => {
    for (const [h, r] of view.rows) if (r.wrapper && r.task !== undefined && r.finished === undefined) r.wrapper.title = title(h, r);
  }, 1000);
  ticker.unref();
  events.on((e) => {
    switch (e.type) {
      case 'batch:start':
        return startBatch(view, e.hosts);
      case 'task:start': {
        const r = view.rows.get(e.host);
        if (r) {
          r.task = e.task;
          r.since = Date.now();
          if (r.wrapper) r.wrapper.title = title(e.host, r);
        }
        return;
      }
      case 'task:output': {
        const r = view.rows.get(e.host);
        if (r?.wrapper && e.line.trim()) r.wrapper.output = e.line;
        return;
      }
      case 'task:done': {
        const r = view.rows.get(e.host);
        if (!r) return;
        if (e.status === 'failed' || e.status === 'unreachable') r.notes.push(`${e.status}: ${e.task}\n${e.error ?? e.reason}`);
        if (view.diff && e.diff) r.notes.push(...e.diff.map(unifiedDiff));
        return;
      }
      case 'host:done':
        return hostDone(view, e);
      case 'warn':
        if (!e.host) view.log(`WARNING: ${e.message}`);
        return;
      case 'preflight:done': {
        const lines = preflightTable(e.go, e.noGo);
        view.drawing = view.drawing.then(() => lines.forEach((l) => view.log(l)));
        return;
      }
    }
  });
  return {
    finish: async () => {
      await view.drawing;
      clearInterval(ticker);
    },
  };
}

const title = (host: string, r: Row) => `${host.padEnd(14)} ${r.task ?? 'connecting'}  ${dim(`${Math.round((Date.now() - r.since) / 1000)}s`)}`;

function finalize(host: string, r: Row): void {
  r.wrapper!.title = r.finalTitle ?? host;
  if (r.notes.length && r.finished === null) r.wrapper!.output = r.notes.join('\n');
  r.settle!(r.finished!);
}

/** A listr2 list with one row per host of the batch, drawn once the previous batch is done. */
function startBatch(view: View, hosts: string[]): void {
  for (const host of hosts) view.rows.set(host, { since: Date.now(), notes: [] });
  const batch = new Listr(
    hosts.map((host) => ({
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
    {
      concurrent: true,
      exitOnError: false,
      collectErrors: false,
      rendererOptions: { outputBar: 1, persistentOutput: true, collapseErrors: false, showErrorMessage: true },
    },
  );
  view.drawing = view.drawing.then(() => batch.run().then(() => undefined, () => undefined));
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

const dim = (s: string) => (process.env.NO_COLOR ? s : `\x1b[2m${s}\x1b[22m`);
