/**
 * The terminal view: listr2 rows, one per host of the running batch, each showing the current
 * task, its elapsed time and the last output line. The only file that imports listr2.
 */
import { Listr, type ListrTaskWrapper } from 'listr2';
import { unifiedDiff } from './diff.ts';
import { preflightTable } from './plain.ts';
import type { RunEvents } from './events.ts';

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

export function attachListr(events: RunEvents, o: { diff: boolean; log: (line: string) => void }): ListrView {
  const rows = new Map<string, Row>();
  let drawing: Promise<void> = Promise.resolve();
  const title = (host: string, r: Row) => `${host.padEnd(14)} ${r.task ?? 'connecting'}  ${dim(`${Math.round((Date.now() - r.since) / 1000)}s`)}`;
  const ticker = setInterval(() => {
    for (const [h, r] of rows) if (r.wrapper && r.task !== undefined && r.finished === undefined) r.wrapper.title = title(h, r);
  }, 1000);
  ticker.unref();

  const finalize = (host: string, r: Row) => {
    r.wrapper!.title = r.finalTitle ?? host;
    if (r.notes.length && r.finished === null) r.wrapper!.output = r.notes.join('\n');
    r.settle!(r.finished!);
  };

  events.on((e) => {
    switch (e.type) {
      case 'batch:start': {
        for (const host of e.hosts) rows.set(host, { since: Date.now(), notes: [] });
        const batch = new Listr(
          e.hosts.map((host) => ({
            title: host,
            task: (_ctx: unknown, wrapper: Wrapper) =>
              new Promise<void>((resolve, reject) => {
                const row = rows.get(host)!;
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
        drawing = drawing.then(() => batch.run().then(() => undefined, () => undefined));
        break;
      }
      case 'task:start': {
        const r = rows.get(e.host);
        if (r) {
          r.task = e.task;
          r.since = Date.now();
          if (r.wrapper) r.wrapper.title = title(e.host, r);
        }
        break;
      }
      case 'task:output': {
        const r = rows.get(e.host);
        if (r?.wrapper && !e.quiet && e.line.trim()) r.wrapper.output = e.line;
        break;
      }
      case 'task:done': {
        const r = rows.get(e.host);
        if (!r) break;
        if (e.status === 'failed' || e.status === 'unreachable') r.notes.push(`${e.status}: ${e.task}\n${e.error ?? e.reason}`);
        if (o.diff && e.diff) r.notes.push(...e.diff.map(unifiedDiff));
        break;
      }
      case 'host:done': {
        const r = rows.get(e.host);
        if (!r) break;
        const c = e.counts;
        const summary = `ok=${c.ok} changed=${c.changed} failed=${c.failed} skipped=${c.skipped}`;
        r.finalTitle = `${e.host.padEnd(14)} ${e.status === 'ok' ? 'done' : e.status}  ${dim(summary)}`;
        if (e.error) r.notes.push(e.error);
        r.finished = e.status === 'ok' ? null : new Error(r.notes.at(-1)?.split('\n')[0] ?? e.status);
        r.task = undefined;
        if (r.wrapper) finalize(e.host, r);
        break;
      }
      case 'warn':
        if (!e.host) o.log(`WARNING: ${e.message}`);
        break;
      case 'preflight:done': {
        const lines = preflightTable(e.go, e.noGo);
        drawing = drawing.then(() => lines.forEach((l) => o.log(l)));
        break;
      }
    }
  });
  return {
    finish: async () => {
      await drawing;
      clearInterval(ticker);
    },
  };
}

const dim = (s: string) => (process.env.NO_COLOR ? s : `\x1b[2m${s}\x1b[22m`);
