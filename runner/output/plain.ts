/**
 * Output without a terminal (CI, cron, `| tee`) or with NO_COLOR: one timestamped line per
 * event that matters, in the order things happen, greppable by host.
 */
import { unifiedDiff } from './diff.ts';
import type { RunEvents } from './events.ts';

export interface PlainOptions {
  write: (line: string) => void;
  diff: boolean;
  /** Also print each output line of running commands. */
  verbose: boolean;
  /** Least time between two progress lines of one host. @default 5000 */
  progressEveryMs?: number;
}

export function attachPlain(events: RunEvents, o: PlainOptions): void {
  const t = () => new Date().toISOString().slice(11, 19);
  const lastProgress = new Map<string, number>();
  const every = o.progressEveryMs ?? 5000;
  events.on((e) => {
    switch (e.type) {
      case 'run:start':
        o.write(
          `${t()} PLAY [${e.playbook}] on ${e.hosts.length} host(s)${e.check ? ' — CHECK MODE, nothing is changed' : ''}${e.resumedFrom ? ` — resuming ${e.resumedFrom}` : ''}`,
        );
        break;
      case 'batch:start':
        if (e.phase === 'preflight') o.write(`${t()} PREFLIGHT on ${e.hosts.join(', ')}: read-only checks before anything changes`);
        else if (e.of > 1) o.write(`${t()} BATCH ${e.index}/${e.of}: ${e.hosts.join(', ')}`);
        break;
      case 'preflight:done':
        for (const l of preflightTable(e.go, e.noGo, e)) o.write(`${t()} ${l}`);
        break;
      case 'task:start':
        if (o.verbose) o.write(`${t()} ${e.host} | TASK [${e.task}]`);
        break;
      case 'task:output': {
        // `(Reading database ... 5%\r(Reading database ... 10%\r…`: only where it ended up
        const line = e.line
          .split('\r')
          .filter((l) => l.trim())
          .at(-1);
        if (line && !e.quiet && (o.verbose || e.stream === 'info')) o.write(`${t()} ${e.host} |   ${line}`);
        break;
      }
      case 'task:progress': {
        const now = Date.now();
        if (e.percent < 100 && now - (lastProgress.get(e.host) ?? -Infinity) < every) break;
        lastProgress.set(e.host, now);
        o.write(`${t()} ${e.host} |   ${Math.floor(e.percent)}% ${e.label}`);
        break;
      }
      case 'task:done': {
        const secs = (e.durationMs / 1000).toFixed(2);
        const tag = e.resumed ? 'resumed' : e.status;
        o.write(`${t()} ${e.host} | ${tag}: ${e.task} — ${e.reason} (${secs}s)`);
        if (e.error && (e.status === 'failed' || e.status === 'unreachable' || e.status === 'ignored') && e.error !== e.reason) {
          for (const l of e.error.split('\n')) o.write(`${t()} ${e.host} |   ${l}`);
        }
        if (o.diff && e.diff) for (const d of e.diff) for (const l of unifiedDiff(d).split('\n')) o.write(`${t()} ${e.host} |   ${l}`);
        break;
      }
      case 'warn':
        o.write(`${t()} ${e.host ?? '-'} | WARNING: ${e.message}`);
        break;
      case 'pending':
        o.write(`${t()} ${e.host} | PENDING: ${e.message.split('\n')[0]}`);
        break;
      case 'host:done':
        if (e.status !== 'ok') o.write(`${t()} ${e.host} | HOST ${e.status.toUpperCase()}`);
        break;
      case 'run:stopped':
        o.write(`${t()} ROLLOUT STOPPED: ${e.reason}${e.notStarted.length ? `; not started: ${e.notStarted.join(', ')}` : ''}`);
        break;
    }
  });
}

/** The GO / NO-GO table printed after the preflight phase; per GO host what preflight did (a prefetch), and the bytes prefetched in all. */
export function preflightTable(
  go: string[],
  noGo: { host: string; reason: string }[],
  more: { notes?: Record<string, string>; prefetchedBytes?: Record<string, number> } = {},
): string[] {
  const w = Math.max(4, ...go.map((h) => h.length), ...noGo.map((n) => n.host.length));
  const bytes = Object.values(more.prefetchedBytes ?? {});
  const total = bytes.length ? `; prefetched ${(bytes.reduce((a, b) => a + b, 0) / 1e6).toFixed(1)} MB on ${bytes.length} host(s)` : '';
  return [
    `PREFLIGHT: ${go.length} GO, ${noGo.length} NO-GO${total}`,
    ...go.map((h) => `  ${h.padEnd(w)}  GO${more.notes?.[h] ? `     ${more.notes[h]}` : ''}`),
    ...noGo.map((n) => `  ${n.host.padEnd(w)}  NO-GO  ${n.reason}`),
  ];
}
