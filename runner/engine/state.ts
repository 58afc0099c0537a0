/**
 * One host's run as data: what the scheduler hands in (`HostRun`), what the host's tasks
 * share while it runs (`HostState`: counts, outcomes, notified handlers, the failure to report),
 * and what it hands back (`HostOutcome`). host.ts and task.ts are functions over a HostState.
 */
import { RunnerError } from '../model/errors.ts';
import { emptyCounts } from '../output/recap.ts';
import type { Connection } from '../connection/connection.ts';
import type { Host } from '../inventory/load.ts';
import type { HostView, Outcome, Playbook, Task } from '../model/dsl.ts';
import type { RecapCounts, RunEvents } from '../output/events.ts';
import type { TagFilter } from '../inventory/select.ts';
import type { Journal, JournalEntry } from './journal.ts';

export interface HostRun {
  host: Host;
  conn: Connection;
  /** A new, separate connection to the host with the same settings (`ctx.proveFreshLogin`). */
  freshConnection?: () => Connection;
  playbook: Playbook;
  events: RunEvents;
  journal?: Journal;
  check: boolean;
  tags: TagFilter;
  /** Tasks that completed in the run being resumed: taskId → entry. */
  resumed?: Map<string, JournalEntry>;
  resumedFrom?: string;
  /** The scheduler says stop (maxFail, anyErrorsFatal, Ctrl-C): no new task starts. */
  shouldStop: () => boolean;
  /** Called when a task fails for real, so the scheduler can re-check its limits. */
  onFailure: () => void;
  /** Prefix of task ids (`pre` for the preflight phase), so phases never share ids. */
  pathPrefix?: string;
  /** Counts to continue from (the preflight phase's), so the recap has one line per host. */
  counts?: RecapCounts;
  /** Earlier outcomes on this host (the preflight phase's), readable by `when` and params. */
  memory?: HostMemory;
  /** `runOnce` tasks of the batch: task id → the outcome of the host that ran it. */
  once?: Map<string, Promise<{ host: string; o: Outcome }>>;
}

/** What later tasks on a host can read of earlier ones. */
export interface HostMemory {
  byTask: Map<Task<unknown>, Outcome>;
  byId: Map<string, Outcome>;
}
export const newMemory = (): HostMemory => ({ byTask: new Map(), byId: new Map() });

export interface HostOutcome {
  counts: RecapCounts;
  status: 'ok' | 'failed' | 'unreachable' | 'stopped';
  /** A runner-level error (connection, internal), not a task's failure. */
  error?: string;
  /** Why the host failed: the failing task's message. */
  reason?: string;
}

/** What the tasks of one host share while it runs. */
export interface HostState {
  readonly run: HostRun;
  readonly counts: RecapCounts;
  readonly memory: HostMemory;
  /** The host as `when` and params functions see it. */
  readonly view: HostView;
  /** Handler names notified by a task that changed something. */
  readonly notified: Set<string>;
  /** The failing task and the first line of its message: the host's reason in the recap. */
  lastFailure?: string;
  /** A task failed inside a block with a rescue: counted as failed only if no rescue takes it. */
  pendingRescue: boolean;
}

export function hostState(r: HostRun): HostState {
  const memory = r.memory ?? newMemory();
  const { host } = r;
  const outcomeOf = (t: Task<unknown> | string) => (typeof t === 'string' ? memory.byId.get(t) : memory.byTask.get(t));
  const view: HostView = {
    name: host.name,
    address: host.address,
    user: host.user,
    vars: hostVars(r),
    tags: host.tags,
    groups: host.groups,
    check: r.check,
    result: <R>(t: Task<R> | string) => outcomeOf(t as Task<unknown> | string) as Outcome<R> | undefined,
    changed: (t) => outcomeOf(t)?.changed ?? false,
  };
  return { run: r, counts: r.counts ?? emptyCounts(), memory, view, notified: new Set(), pendingRescue: false };
}

/** The playbook's var defaults under the inventory's host vars (the inventory wins). */
export const hostVars = (r: HostRun): HostView['vars'] => ({ ...(r.playbook.options.vars ?? {}), ...r.host.vars });

/** Where a task sits: what its enclosing blocks add (tags, when, become) and its id prefix. */
export interface Scope {
  tags: string[];
  when: ((h: HostView) => boolean)[];
  become: boolean;
  /** Inside a block with a rescue: failures count as rescued if the rescue succeeds. */
  rescuable: boolean;
  path: string;
  /** The innermost block's name: the phase the fleet report draws. */
  phase?: string;
}

/** Thrown up the block tree when a task failed and nothing rescued it. */
export class HostFailed extends RunnerError {}
export class HostUnreachable extends RunnerError {}
export class HostStopped extends RunnerError {}

/** Stable task ids: position in the playbook plus name (or the task's own `id`). */
export function taskId(task: Task<unknown>, path: string): string {
  return task.options.id ?? `${path} ${task.name}`;
}

/** Keeps a task's outcome for `result()` / `changed()` by the task object, its path id and its own id. */
export function remember(s: HostState, task: Task<unknown>, id: string, o: Outcome): void {
  s.memory.byTask.set(task, o);
  s.memory.byId.set(id, o);
  if (task.options.id) s.memory.byId.set(task.options.id, o);
}
