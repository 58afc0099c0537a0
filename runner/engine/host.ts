/**
 * Runs one host's task list: connect, the playbook's items in order (blocks with rescue and
 * always), then the handlers that changed tasks notified; says how the host ended.
 */
import { UnreachableError } from '../model/errors.ts';
import { describeError, runTask } from './task.ts';
import {
  HostFailed,
  HostStopped,
  HostUnreachable,
  hostState,
  type HostOutcome,
  type HostRun,
  type HostState,
  type Scope,
} from './state.ts';
import type { Block, Item } from '../model/dsl.ts';

export async function runHost(r: HostRun): Promise<HostOutcome> {
  const s = hostState(r);
  const { host, events } = r;
  events.emit({ type: 'host:start', host: host.name });
  const root: Scope = { tags: [], when: [], become: r.playbook.options.become ?? false, rescuable: false, path: r.pathPrefix ?? '' };
  let status: HostOutcome['status'] = 'ok';
  let error: string | undefined;
  try {
    await r.conn.connect();
    await runItems(s, r.playbook.steps, root);
    const handlers = (r.playbook.options.handlers ?? []).filter((h) => s.notified.has(h.name));
    for (const [i, h] of handlers.entries()) await runTask(s, h, { ...root, path: `handler.${i}` });
  } catch (e) {
    ({ status, error } = ended(s, e));
  }
  const { counts, lastFailure } = s;
  events.emit({ type: 'host:done', host: host.name, counts, status, error });
  return {
    counts,
    status,
    error,
    reason: status === 'failed' ? (lastFailure ?? error) : status === 'unreachable' ? (error ?? lastFailure) : undefined,
  };
}

/** How an error that reached the top ends the host; counts what no task counted. */
function ended(s: HostState, e: unknown): { status: HostOutcome['status']; error?: string } {
  const { run: r, counts } = s;
  if (e instanceof HostFailed) return { status: 'failed' };
  if (e instanceof HostUnreachable) {
    s.lastFailure = e.message;
    return { status: 'unreachable' };
  }
  if (e instanceof HostStopped) return { status: 'stopped' };
  let error: string;
  let status: HostOutcome['status'];
  if (e instanceof UnreachableError) {
    status = 'unreachable';
    counts.unreachable++;
    error = e.message;
  } else {
    status = 'failed';
    counts.failed++;
    error = describeError(e, r.host.name, '(runner)');
  }
  r.events.emit({ type: 'warn', host: r.host.name, message: error });
  r.onFailure();
  return { status, error };
}

async function runItems(s: HostState, items: Item[], scope: Scope): Promise<void> {
  for (const [i, item] of items.entries()) {
    const path = scope.path ? `${scope.path}.${i}` : String(i);
    if (item.kind === 'task') await runTask(s, item, { ...scope, path });
    else await runBlock(s, item, { ...scope, path });
  }
}

/** A block's steps; on a failure its rescue (which, if it succeeds, counts `rescued`); then always. */
async function runBlock(s: HostState, b: Block, scope: Scope): Promise<void> {
  const hasRescue = !!b.options.rescue?.length;
  const inner: Scope = {
    tags: [...scope.tags, ...(b.options.tags ?? [])],
    when: [...scope.when, ...(b.options.when ? [b.options.when] : [])],
    become: b.options.become ?? scope.become,
    rescuable: scope.rescuable || hasRescue,
    path: scope.path,
    phase: b.name,
  };
  let failure: unknown;
  try {
    await runItems(s, b.steps, inner);
  } catch (e) {
    failure = e;
  }
  if (failure instanceof HostFailed && hasRescue) {
    s.pendingRescue = false;
    try {
      await runItems(s, b.options.rescue!, { ...inner, rescuable: scope.rescuable, path: `${scope.path}.rescue` });
      s.counts.rescued++;
      failure = undefined;
    } catch (e) {
      failure = e;
    }
  } else if (failure instanceof HostFailed && s.pendingRescue && !scope.rescuable) {
    s.pendingRescue = false;
    s.counts.failed++;
    s.run.onFailure();
  }
  if (b.options.always?.length && !(failure instanceof HostUnreachable)) {
    try {
      await runItems(s, b.options.always, { ...inner, rescuable: scope.rescuable, path: `${scope.path}.always` });
    } catch (e) {
      failure ??= e;
    }
  }
  if (failure) throw failure;
}
