/**
 * Fans a playbook out over hosts: `serial` batches in order, at most `forks` hosts at once
 * within a batch, each host running its own task list (Ansible's `free` strategy). One failed
 * or unreachable host stops only itself — unless `maxFailPercentage`, `anyErrorsFatal`, or a
 * batch in which every host failed says the rollout must stop.
 */
import { exceedsMaxFail, serialBatches, type TagFilter } from './select.ts';
import { runHost, type HostOutcome } from './executor.ts';
import { exitCodeOf, emptyCounts } from './output/recap.ts';
import type { Connection } from './connection/connection.ts';
import type { Host } from './inventory.ts';
import type { Playbook, Serial } from './dsl.ts';
import type { RecapCounts, RunEvents } from './output/events.ts';
import type { Journal, JournalEntry } from './journal.ts';

export interface ScheduleOptions {
  playbook: Playbook;
  hosts: Host[];
  events: RunEvents;
  connect: (host: Host) => Connection;
  check: boolean;
  tags: TagFilter;
  forks?: number;
  serial?: Serial;
  maxFailPercentage?: number;
  anyErrorsFatal?: boolean;
  journal?: Journal;
  resumed?: Map<string, Map<string, JournalEntry>>;
  resumedFrom?: string;
  /** Set from outside (Ctrl-C) to stop starting tasks. */
  abort?: { stopped: boolean; reason?: string };
}

export interface RunSummary {
  recap: Record<string, RecapCounts>;
  outcomes: Map<string, HostOutcome>;
  stopped?: string;
  notStarted: string[];
  exitCode: number;
}

export async function schedule(o: ScheduleOptions): Promise<RunSummary> {
  const p = o.playbook.options;
  const serial = o.serial ?? p.serial;
  const maxFail = o.maxFailPercentage ?? p.maxFailPercentage;
  const anyErrorsFatal = o.anyErrorsFatal ?? p.anyErrorsFatal ?? false;
  const forks = Math.max(1, o.forks ?? p.forks ?? 50);
  const batches = serialBatches(o.hosts, serial);
  const recap: Record<string, RecapCounts> = {};
  const outcomes = new Map<string, HostOutcome>();
  const abort = o.abort ?? { stopped: false };
  const notStarted: string[] = [];

  for (const [bi, batch] of batches.entries()) {
    if (abort.stopped) {
      notStarted.push(...batch.map((h) => h.name));
      continue;
    }
    o.events.emit({ type: 'batch:start', index: bi + 1, of: batches.length, hosts: batch.map((h) => h.name) });
    let failedInBatch = 0;
    const onFailure = () => {
      failedInBatch++;
      if (anyErrorsFatal) stop(abort, `anyErrorsFatal: a host failed in batch ${bi + 1}`);
      else if (exceedsMaxFail(failedInBatch, batch.length, maxFail)) {
        stop(abort, `maxFailPercentage ${maxFail}% exceeded in batch ${bi + 1} (${failedInBatch} of ${batch.length} hosts failed)`);
      }
    };
    const queue = [...batch];
    const worker = async () => {
      for (let h = queue.shift(); h; h = queue.shift()) {
        if (abort.stopped) {
          notStarted.push(h.name);
          continue;
        }
        const conn = o.connect(h);
        try {
          const out = await runHost({
            host: h, conn, playbook: o.playbook, events: o.events, journal: o.journal, check: o.check, tags: o.tags,
            resumed: o.resumed?.get(h.name), resumedFrom: o.resumedFrom, shouldStop: () => abort.stopped, onFailure,
          });
          outcomes.set(h.name, out);
          recap[h.name] = out.counts;
        } finally {
          await conn.close().catch(() => undefined);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(forks, batch.length) }, worker));
    const bad = batch.filter((h) => ['failed', 'unreachable'].includes(outcomes.get(h.name)?.status ?? ''));
    if (!abort.stopped && bad.length === batch.length && bi < batches.length - 1) {
      stop(abort, `every host of batch ${bi + 1} failed or was unreachable`);
    }
  }
  for (const h of notStarted) recap[h] ??= emptyCounts();
  // Inventory order, not finishing order: the recap reads the same on every run.
  const ordered: Record<string, RecapCounts> = {};
  for (const h of o.hosts) if (recap[h.name]) ordered[h.name] = recap[h.name]!;
  if (abort.stopped) o.events.emit({ type: 'run:stopped', reason: abort.reason ?? 'stopped', notStarted });
  return { recap: ordered, outcomes, stopped: abort.stopped ? abort.reason : undefined, notStarted, exitCode: exitCodeOf(ordered, abort.stopped) };
}

function stop(abort: { stopped: boolean; reason?: string }, reason: string): void {
  if (abort.stopped) return;
  abort.stopped = true;
  abort.reason = reason;
}
