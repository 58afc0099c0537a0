/**
 * What a playbook file uses: `playbook()`, `block()`, and task options. A playbook is plain
 * data — the runner can list, filter and plan it before touching a host.
 *
 * @example
 * export default playbook({ name: 'demo', serial: '50%', handlers: [command({ cmd: 'echo hello' }, { name: 'say hello' })] }, [
 *   command({ cmd: 'uptime' }, { name: 'who is up', tags: ['info'] }),
 *   block('web', { tags: ['web'], rescue: [command({ cmd: 'logger web failed' })] }, [
 *     copy({ path: '/etc/motd', content: 'managed\n' }, { notify: 'say hello' }),
 *   ]),
 * ])
 */
import type { ModuleDef, FileDiff, HostInfo } from './plan.ts';
import type { HostVars } from './vars.ts';

/** What a task produced, as later tasks, `until`, `changedWhen` and `failedWhen` see it. */
export interface Outcome<R = unknown> {
  changed: boolean;
  failed: boolean;
  skipped: boolean;
  reason: string;
  result: R | undefined;
  /** How long the task took on this host (0 when skipped or resumed). */
  durationMs?: number;
}

/** A host as `when` and params functions see it: its inventory data and what earlier tasks on it did. */
export interface HostView extends HostInfo {
  check: boolean;
  /** The outcome of an earlier task on this host (by the task object or its `id`). */
  result<R>(task: Task<R> | string): Outcome<R> | undefined;
  /** Did that earlier task change something on this host? */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any task, whatever its result type
  changed(task: Task<any> | string): boolean;
}

export interface TaskOptions<R = unknown> {
  /** Shown in progress, logs and recap. @default the module's name and summary */
  name?: string;
  /** Stable id for `result()` look-ups and the resume journal. */
  id?: string;
  tags?: string[];
  when?: (host: HostView) => boolean;
  /** Extra attempts after the first. @default 0, or 3 when `until` is set (as Ansible) */
  retries?: number;
  /** Seconds between attempts. @default 5 */
  delaySec?: number;
  /** Retry until this holds. */
  until?: (outcome: Outcome<R>) => boolean;
  /** A failure is counted as `ignored` and the host goes on. */
  ignoreErrors?: boolean;
  changedWhen?: (outcome: Outcome<R>) => boolean;
  failedWhen?: (outcome: Outcome<R>) => boolean;
  become?: boolean;
  /** Handler names to run at the end of the play if this task changed something. */
  notify?: string | string[];
  /** Run for real even under --check (Ansible's `check_mode: false`), for read-only tasks. */
  runInCheckMode?: boolean;
  /**
   * The task checks what earlier tasks change (a version after an upgrade): under --check,
   * where nothing changed, it is skipped instead of failing on the old state.
   */
  verifiesChanges?: boolean;
  /**
   * One host of the batch runs it (the first to get there); the batch's other hosts take its
   * outcome — its result and reason, as ok (failed, if it failed) — as Ansible's `run_once`.
   */
  runOnce?: boolean;
  /** On --resume, run this task again even if it completed (for non-idempotent probes). */
  rerunOnResume?: boolean;
  /** Kill the task's commands after this many seconds. */
  timeoutSec?: number;
}

export interface Task<R = unknown> {
  kind: 'task';
  name: string;
  module: ModuleDef<unknown, unknown, R>;
  params: unknown;
  options: TaskOptions<R>;
}

export interface BlockOptions {
  tags?: string[];
  when?: (host: HostView) => boolean;
  become?: boolean;
  /** Runs when a task of the block fails; if it succeeds the host goes on and counts `rescued`. */
  rescue?: Item[];
  /** Runs after the block (and rescue), whatever happened. */
  always?: Item[];
}

export interface Block {
  kind: 'block';
  name: string;
  options: BlockOptions;
  steps: Item[];
}

export type Item = Task<any> | Block;

export function block(name: string, options: BlockOptions, steps: Item[]): Block {
  return { kind: 'block', name, options, steps };
}

/** A percentage of the hosts, as Ansible writes it. */
export type Percent = `${number}%`;
export type Serial = number | Percent | (number | Percent)[];

export interface PlaybookOptions {
  name: string;
  description?: string;
  /** The hosts the play targets, an Ansible host pattern (`webservers:!web3`); `--limit` narrows it. @default 'all' */
  hosts?: string | string[];
  /** Hosts per batch: a number, a percentage, or a ramp list whose last entry repeats. @default all at once */
  serial?: Serial;
  /** Stop the rollout when failed hosts of a batch exceed this percentage (strictly). */
  maxFailPercentage?: number;
  /** Any failure stops the whole rollout. @default false */
  anyErrorsFatal?: boolean;
  become?: boolean;
  /** Defaults for host vars (inventory values win). */
  vars?: Partial<HostVars>;
  /** Tasks run once at the end of the play on each host that notified them by name. */
  handlers?: Task<any>[];
  /** Hosts run at once. @default 50 */
  forks?: number;
  /** Command-line options this playbook takes (`run rollback … --to NAME`), readable as host vars. */
  params?: Record<string, { description: string; required?: boolean }>;
  /**
   * Read-only checks run on every selected host at once, before the first batch: a host
   * that fails them is NO-GO and gets nothing else. They run again on --resume.
   * NO-GO hosts count against `maxFailPercentage` over all selected hosts.
   */
  preflight?: Item[];
}

export interface Playbook {
  kind: 'playbook';
  options: PlaybookOptions;
  steps: Item[];
}

export function playbook(options: PlaybookOptions, steps: Item[]): Playbook {
  return { kind: 'playbook', options, steps };
}

export type { FileDiff };
