/**
 * Fans a playbook out over hosts: `serial` batches in order, at most `forks` hosts at once
 * within a batch, each host running its own task list (Ansible's `free` strategy). One failed
 * or unreachable host stops only itself — unless `maxFailPercentage`, `anyErrorsFatal`, or a
 * batch in which every host failed says the rollout must stop.
 */
import { exceedsMaxFail, serialBatches, type TagFilter } from '../inventory/select.ts';
import { runHost, newMemory, type HostMemory, type HostOutcome } from './executor.ts';
import { exitCodeOf, emptyCounts } from '../output/recap.ts';
import type { Connection } from '../connection/connection.ts';
import type { Host } from '../inventory/load.ts';
import type { Playbook, Serial } from '../model/dsl.ts';
import type { RecapCounts, RunEvents } from '../output/events.ts';
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
  const recap: Record<string, RecapCounts> = {};
  const outcomes = new Map<string, HostOutcome>();
  const abort = o.abort ?? { stopped: false };
  const notStarted: string[] = [];
  const conns = new Map<string, Connection>();
  const memory = new Map<string, HostMemory>();
  const memOf = (h: Host) => memory.get(h.name) ?? memory.set(h.name, newMemory()).get(h.name)!;
  const connOf = (h: Host) => conns.get(h.name) ?? conns.set(h.name, o.connect(h)).get(h.name)!;
  const closeConn = async (h: Host) => {
    await conns.get(h.name)?.close().catch(() => undefined);
    conns.delete(h.name);
  };

  let hosts = o.hosts;
  const pre = p.preflight ?? [];
  if (pre.length > 0) {
    o.events.emit({ type: 'batch:start', index: 0, of: 0, hosts: hosts.map((h) => h.name), phase: 'preflight' });
    const prePlay: Playbook = { kind: 'playbook', options: { ...p, handlers: [] }, steps: pre };
    const pool = [...hosts];
    const worker = async () => {
      for (let h = pool.shift(); h; h = pool.shift()) {
        const out = await runHost({
          host: h, conn: connOf(h), playbook: prePlay, events: o.events, journal: o.journal, check: o.check, tags: { tags: undefined, skipTags: undefined },
          shouldStop: () => abort.stopped, onFailure: () => {}, pathPrefix: 'pre', memory: memOf(h),
        });
        outcomes.set(h.name, out);
        recap[h.name] = out.counts;
        if (out.status !== 'ok') await closeConn(h);
      }
    };
    await Promise.all(Array.from({ length: Math.min(forks, pool.length) }, worker));
    const noGo = hosts.filter((h) => outcomes.get(h.name)?.status !== 'ok');
    o.events.emit({ type: 'preflight:done', go: hosts.filter((h) => !noGo.includes(h)).map((h) => h.name), noGo: noGo.map((h) => ({ host: h.name, reason: outcomes.get(h.name)?.reason ?? 'stopped' })) });
    if (noGo.length && (anyErrorsFatal || exceedsMaxFail(noGo.length, hosts.length, maxFail))) {
      stop(abort, `preflight: ${noGo.length} of ${hosts.length} hosts are NO-GO (${noGo.map((h) => h.name).join(', ')})${maxFail !== undefined ? `, over maxFailPercentage ${maxFail}%` : ''}; nothing was changed on any host`);
    }
    hosts = hosts.filter((h) => !noGo.includes(h));
  }
  const batches = serialBatches(hosts, serial);

  for (const [bi, batch] of batches.entries()) {
    if (abort.stopped) {
      notStarted.push(...batch.map((h) => h.name).filter((n) => !notStarted.includes(n)));
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
        try {
          const out = await runHost({
            host: h, conn: connOf(h), playbook: o.playbook, events: o.events, journal: o.journal, check: o.check, tags: o.tags,
            resumed: o.resumed?.get(h.name), resumedFrom: o.resumedFrom, shouldStop: () => abort.stopped, onFailure, counts: recap[h.name], memory: memOf(h),
          });
          outcomes.set(h.name, out);
          recap[h.name] = out.counts;
        } finally {
          await closeConn(h);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(forks, batch.length) }, worker));
    const bad = batch.filter((h) => ['failed', 'unreachable'].includes(outcomes.get(h.name)?.status ?? ''));
    if (!abort.stopped && bad.length === batch.length && bi < batches.length - 1) {
      stop(abort, `every host of batch ${bi + 1} failed or was unreachable`);
    }
  }
  for (const h of conns.keys()) await closeConn({ name: h } as Host);
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
