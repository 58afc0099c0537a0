/**
 * Fans a playbook out over hosts: `serial` batches in order, at most `forks` hosts at once
 * within a batch, each host running its own task list (Ansible's `free` strategy). One failed
 * or unreachable host stops only itself — unless `maxFailPercentage`, `anyErrorsFatal`, or a
 * batch in which every host failed says the rollout must stop.
 */
import { exceedsMaxFail, serialBatches, type TagFilter } from '../inventory/select.ts';
import { runHost } from './host.ts';
import { newMemory, type HostMemory, type HostOutcome } from './state.ts';
import { exitCodeOf, emptyCounts } from '../output/recap.ts';
import type { Connection } from '../connection/connection.ts';
import type { Host } from '../inventory/load.ts';
import type { Item, Playbook, Serial } from '../model/dsl.ts';
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

/** What the batches of one rollout share: limits, the stop flag, connections, outcomes. */
interface Rollout {
  o: ScheduleOptions;
  forks: number;
  maxFail?: number;
  anyErrorsFatal: boolean;
  abort: { stopped: boolean; reason?: string };
  recap: Record<string, RecapCounts>;
  outcomes: Map<string, HostOutcome>;
  notStarted: string[];
  conns: Map<string, Connection>;
  memory: Map<string, HostMemory>;
}

export async function schedule(o: ScheduleOptions): Promise<RunSummary> {
  const p = o.playbook.options;
  const ro: Rollout = {
    o,
    forks: Math.max(1, o.forks ?? p.forks ?? 50),
    maxFail: o.maxFailPercentage ?? p.maxFailPercentage,
    anyErrorsFatal: o.anyErrorsFatal ?? p.anyErrorsFatal ?? false,
    abort: o.abort ?? { stopped: false },
    recap: {},
    outcomes: new Map(),
    notStarted: [],
    conns: new Map(),
    memory: new Map(),
  };
  const { abort, recap, notStarted } = ro;
  const hosts = p.preflight?.length ? await preflight(ro, p.preflight) : o.hosts;
  const batches = serialBatches(hosts, o.serial ?? p.serial);
  for (const [bi, batch] of batches.entries()) {
    if (abort.stopped) {
      notStarted.push(...batch.map((h) => h.name).filter((n) => !notStarted.includes(n)));
      continue;
    }
    await runBatch(ro, batch, bi, batches.length);
  }
  for (const h of ro.conns.keys()) await closeConn(ro, h);
  for (const h of notStarted) recap[h] ??= emptyCounts();
  // Inventory order, not finishing order: the recap reads the same on every run.
  const ordered: Record<string, RecapCounts> = {};
  for (const h of o.hosts) if (recap[h.name]) ordered[h.name] = recap[h.name]!;
  if (abort.stopped) o.events.emit({ type: 'run:stopped', reason: abort.reason ?? 'stopped', notStarted });
  return {
    recap: ordered,
    outcomes: ro.outcomes,
    stopped: abort.stopped ? abort.reason : undefined,
    notStarted,
    exitCode: exitCodeOf(ordered, abort.stopped),
  };
}

const memOf = (ro: Rollout, h: Host) => ro.memory.get(h.name) ?? ro.memory.set(h.name, newMemory()).get(h.name)!;
const connOf = (ro: Rollout, h: Host) => ro.conns.get(h.name) ?? ro.conns.set(h.name, ro.o.connect(h)).get(h.name)!;
async function closeConn(ro: Rollout, host: string): Promise<void> {
  await ro.conns
    .get(host)
    ?.close()
    .catch(() => undefined);
  ro.conns.delete(host);
}

/** Runs `each` over the hosts, at most `forks` at once. */
async function inParallel(ro: Rollout, hosts: Host[], each: (h: Host) => Promise<void>): Promise<void> {
  const queue = [...hosts];
  const worker = async () => {
    for (let h = queue.shift(); h; h = queue.shift()) await each(h);
  };
  await Promise.all(Array.from({ length: Math.min(ro.forks, queue.length) }, worker));
}

/** The preflight phase on every host at once; returns the GO hosts (stops the rollout if too many are NO-GO). */
async function preflight(ro: Rollout, pre: Item[]): Promise<Host[]> {
  const { o, abort, maxFail, outcomes } = ro;
  const hosts = o.hosts;
  o.events.emit({ type: 'batch:start', index: 0, of: 0, hosts: hosts.map((h) => h.name), phase: 'preflight' });
  const preOnce = new Map();
  const prePlay: Playbook = { kind: 'playbook', options: { ...o.playbook.options, handlers: [] }, steps: pre };
  await inParallel(ro, hosts, async (h) => {
    const out = await runHost({
      host: h,
      conn: connOf(ro, h),
      freshConnection: () => ro.o.connect(h),
      playbook: prePlay,
      events: o.events,
      journal: o.journal,
      check: o.check,
      tags: { tags: undefined, skipTags: undefined },
      shouldStop: () => abort.stopped,
      onFailure: () => {},
      pathPrefix: 'pre',
      memory: memOf(ro, h),
      once: preOnce,
    });
    outcomes.set(h.name, out);
    ro.recap[h.name] = out.counts;
    if (out.status !== 'ok') await closeConn(ro, h.name);
  });
  const noGo = hosts.filter((h) => outcomes.get(h.name)?.status !== 'ok');
  const go = hosts.filter((h) => !noGo.includes(h));
  o.events.emit({
    type: 'preflight:done',
    go: go.map((h) => h.name),
    noGo: noGo.map((h) => ({ host: h.name, reason: outcomes.get(h.name)?.reason ?? 'stopped' })),
    ...preflightNotes(ro, go),
  });
  if (noGo.length && (ro.anyErrorsFatal || exceedsMaxFail(noGo.length, hosts.length, maxFail))) {
    stop(
      abort,
      `preflight: ${noGo.length} of ${hosts.length} hosts are NO-GO (${noGo.map((h) => h.name).join(', ')})${maxFail !== undefined ? `, over maxFailPercentage ${maxFail}%` : ''}; nothing was changed on any host`,
    );
  }
  return hosts.filter((h) => !noGo.includes(h));
}

/**
 * What preflight did on GO hosts: the reasons of its tasks that changed something (a prefetch),
 * and the bytes a task reports as `prefetchedBytes`, for the table's per-host and total columns.
 */
function preflightNotes(ro: Rollout, go: Host[]): { notes?: Record<string, string>; prefetchedBytes?: Record<string, number> } {
  const notes: Record<string, string> = {};
  const bytes: Record<string, number> = {};
  for (const h of go) {
    const done = [...memOf(ro, h).byTask.values()];
    const changed = done.filter((d) => d.changed && !d.skipped).map((d) => d.reason);
    if (changed.length) notes[h.name] = changed.join('; ');
    const b = done
      .map((d) => (d.result as { prefetchedBytes?: unknown } | undefined)?.prefetchedBytes)
      .filter((x): x is number => typeof x === 'number');
    if (b.length) bytes[h.name] = b.reduce((a, x) => a + x, 0);
  }
  return { ...(Object.keys(notes).length ? { notes } : {}), ...(Object.keys(bytes).length ? { prefetchedBytes: bytes } : {}) };
}

/** One `serial` batch: its hosts in parallel; failures past the limits stop the rollout. */
async function runBatch(ro: Rollout, batch: Host[], bi: number, of: number): Promise<void> {
  const { o, abort, maxFail, outcomes } = ro;
  o.events.emit({ type: 'batch:start', index: bi + 1, of, hosts: batch.map((h) => h.name) });
  let failedInBatch = 0;
  const onFailure = () => {
    failedInBatch++;
    if (ro.anyErrorsFatal) stop(abort, `anyErrorsFatal: a host failed in batch ${bi + 1}`);
    else if (exceedsMaxFail(failedInBatch, batch.length, maxFail)) {
      stop(abort, `maxFailPercentage ${maxFail}% exceeded in batch ${bi + 1} (${failedInBatch} of ${batch.length} hosts failed)`);
    }
  };
  const once = new Map();
  await inParallel(ro, batch, async (h) => {
    if (abort.stopped) {
      ro.notStarted.push(h.name);
      return;
    }
    try {
      const out = await runHost({
        host: h,
        conn: connOf(ro, h),
        freshConnection: () => ro.o.connect(h),
        playbook: o.playbook,
        events: o.events,
        journal: o.journal,
        check: o.check,
        tags: o.tags,
        resumed: o.resumed?.get(h.name),
        resumedFrom: o.resumedFrom,
        shouldStop: () => abort.stopped,
        onFailure,
        counts: ro.recap[h.name],
        memory: memOf(ro, h),
        once,
      });
      outcomes.set(h.name, out);
      ro.recap[h.name] = out.counts;
    } finally {
      await closeConn(ro, h.name);
    }
  });
  const bad = batch.filter((h) => ['failed', 'unreachable'].includes(outcomes.get(h.name)?.status ?? ''));
  if (!abort.stopped && bad.length === batch.length && bi < of - 1) {
    stop(abort, `every host of batch ${bi + 1} failed or was unreachable`);
  }
}

function stop(abort: { stopped: boolean; reason?: string }, reason: string): void {
  if (abort.stopped) return;
  abort.stopped = true;
  abort.reason = reason;
}
