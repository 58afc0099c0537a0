/** The typed events that the scheduler emits and every output (terminal, JSON, logs) consumes. */
import { EventEmitter } from 'node:events';
import type { FileDiff, HostReport } from '../model/plan.ts';

export type TaskStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable' | 'rescued' | 'ignored';

export interface RecapCounts {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export type RunEvent =
  | {
      type: 'run:start';
      runId: string;
      playbook: string;
      inventory: string;
      hosts: string[];
      check: boolean;
      resumedFrom?: string;
      strategy: string;
    }
  | { type: 'batch:start'; index: number; of: number; hosts: string[]; phase?: 'preflight' }
  | {
      type: 'preflight:done';
      go: string[];
      noGo: { host: string; reason: string }[];
      notes?: Record<string, string>;
      prefetchedBytes?: Record<string, number>;
    }
  | { type: 'host:start'; host: string }
  | { type: 'task:start'; host: string; task: string; taskId: string; module: string; phase?: string }
  /** Every output line of a command (never secret stdout); `quiet` lines (fact reads) are for the host log, not the live views. */
  | { type: 'task:output'; host: string; task: string; stream: 'stdout' | 'stderr' | 'info'; line: string; quiet?: true }
  | { type: 'task:progress'; host: string; task: string; percent: number; label: string }
  | { type: 'cmd:start'; host: string; task: string; command: string; become: boolean }
  /** `stdout`/`stderr`: the last few KiB only (the lines came as task:output); `secret`: stdout was secret and is left out. */
  | {
      type: 'cmd:done';
      host: string;
      task: string;
      command: string;
      exitCode: number | null;
      signal?: string;
      stdout: string;
      stderr: string;
      durationMs: number;
      secret?: true;
    }
  | {
      type: 'task:done';
      host: string;
      task: string;
      taskId: string;
      module: string;
      status: TaskStatus;
      changed: boolean;
      reason: string;
      diff?: FileDiff[];
      error?: string;
      durationMs: number;
      attempts?: number;
      resumed?: boolean;
    }
  | { type: 'host:done'; host: string; counts: RecapCounts; status: 'ok' | 'failed' | 'unreachable' | 'stopped'; error?: string }
  | { type: 'warn'; host?: string; message: string }
  | { type: 'host:report'; host: string; report: HostReport }
  | { type: 'pending'; host: string; task: string; message: string }
  | { type: 'run:stopped'; reason: string; notStarted: string[] }
  | { type: 'run:done'; exitCode: number; recap: Record<string, RecapCounts>; durationMs: number };

export type EventOf<T extends RunEvent['type']> = Extract<RunEvent, { type: T }>;

export class RunEvents {
  readonly #emitter = new EventEmitter();
  constructor() {
    this.#emitter.setMaxListeners(0);
  }
  emit(event: RunEvent): void {
    this.#emitter.emit('event', event);
  }
  on(listener: (event: RunEvent) => void): void {
    this.#emitter.on('event', listener);
  }
}
