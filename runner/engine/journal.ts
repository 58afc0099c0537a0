/**
 * The run journal: one JSON line per finished task per host, written synchronously as each
 * task ends, so a crash or SIGKILL loses at most the task that was running. `--resume` reads
 * the latest journal of the same playbook and inventory and skips what completed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appender, type Appender } from '../output/appender.ts';
import { privateDir, writePrivateFile } from '../output/privateFiles.ts';
import { mask, maskedJson } from '../model/secrets.ts';
import type { TaskStatus } from '../output/events.ts';

export interface JournalEntry {
  host: string;
  taskId: string;
  task: string;
  status: TaskStatus;
  changed: boolean;
  reason: string;
  result?: unknown;
  at: string;
  /** Copied from an earlier run on --resume. */
  from?: string;
}

export interface RunInfo {
  runId: string;
  playbook: string;
  playbookFile: string;
  inventory: string;
  startedAt: string;
  finishedAt?: string;
  exitCode?: number;
  resumedFrom?: string;
  /** Free-form notes a module leaves for resume (e.g. data saved before a destructive step). */
}

/** Statuses after which a task need not run again on resume. */
const DONE: TaskStatus[] = ['ok', 'changed', 'skipped', 'ignored', 'rescued'];

export class Journal {
  readonly file: string;
  readonly #notes = new Map<string, Map<string, unknown>>();
  readonly #entries: Appender;
  readonly #noteFile: Appender;
  constructor(
    readonly dir: string,
    readonly info: RunInfo,
  ) {
    privateDir(dir);
    this.file = join(dir, 'journal.jsonl');
    this.#entries = appender(this.file);
    this.#noteFile = appender(join(dir, 'notes.jsonl'));
    this.writeInfo();
  }

  /** A result's long strings (a command's stdout) are cut: the host log has them, the journal is for resume. */
  record(entry: JournalEntry): void {
    this.#entries.write(maskedJson(entry.result === undefined ? entry : { ...entry, result: bounded(entry.result) }) + '\n');
  }

  /** Module notes survive crashes: written at once, read back on resume. */
  note(host: string, key: string, value: unknown): void {
    this.#noteFile.write(maskedJson({ host, key, value, at: new Date().toISOString() }) + '\n');
    if (!this.#notes.has(host)) this.#notes.set(host, new Map());
    this.#notes.get(host)!.set(key, value);
  }

  /** A note of this run, or of the run it resumes (carried over by `inherit`). */
  recall(host: string, key: string): unknown {
    return this.#notes.get(host)?.get(key);
  }

  /** On --resume: carry the earlier run's notes into this one, so a chain of resumes keeps them. */
  inherit(notes: Map<string, Map<string, unknown>>): void {
    for (const [host, m] of notes) for (const [key, value] of m) this.note(host, key, value);
  }

  finish(exitCode: number): void {
    this.info.finishedAt = new Date().toISOString();
    this.info.exitCode = exitCode;
    this.writeInfo();
  }

  writeInfo(): void {
    writePrivateFile(join(this.dir, 'run.json'), maskedJson(this.info, 2) + '\n');
  }
}

/** Enough of a result for `when`/`result()` after a resume (a version, a short answer), not whole outputs. */
export const JOURNAL_STRING_MAX = 4096;

function bounded(v: unknown, depth = 0): unknown {
  if (typeof v === 'string' && v.length > JOURNAL_STRING_MAX) {
    const m = mask(v); // before the cut, which could leave half a secret that mask() no longer knows
    return m.length <= JOURNAL_STRING_MAX
      ? m
      : `${m.slice(0, JOURNAL_STRING_MAX)}…[${m.length - JOURNAL_STRING_MAX} more characters: see the host log]`;
  }
  if (!v || typeof v !== 'object' || depth > 8) return v;
  if (Array.isArray(v)) return v.map((x) => bounded(x, depth + 1));
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, bounded(x, depth + 1)]));
}

/** The newest earlier run of this playbook on this inventory, or undefined. */
export function latestRun(logsDir: string, playbook: string, inventory: string): string | undefined {
  if (!existsSync(logsDir)) return undefined;
  const runs = readdirSync(logsDir)
    .filter((d) => existsSync(join(logsDir, d, 'run.json')))
    .map((d) => ({ dir: join(logsDir, d), info: JSON.parse(readFileSync(join(logsDir, d, 'run.json'), 'utf8')) as RunInfo }))
    .filter((r) => r.info.playbook === playbook && r.info.inventory === inventory)
    .sort((a, b) => a.info.startedAt.localeCompare(b.info.startedAt));
  return runs.at(-1)?.dir;
}

/** What completed per host in a run: host → taskId → entry. */
export function completedTasks(runDir: string): Map<string, Map<string, JournalEntry>> {
  const out = new Map<string, Map<string, JournalEntry>>();
  const file = join(runDir, 'journal.jsonl');
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let e: JournalEntry;
    try {
      e = JSON.parse(line);
    } catch {
      continue; // a line cut short by a crash
    }
    if (!out.has(e.host)) out.set(e.host, new Map());
    const m = out.get(e.host)!;
    if (DONE.includes(e.status)) m.set(e.taskId, e);
    else m.delete(e.taskId);
  }
  return out;
}

/** Notes left by modules in a run: host → key → value (last wins). */
export function readNotes(runDir: string): Map<string, Map<string, unknown>> {
  const out = new Map<string, Map<string, unknown>>();
  const file = join(runDir, 'notes.jsonl');
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const n = JSON.parse(line) as { host: string; key: string; value: unknown };
      if (!out.has(n.host)) out.set(n.host, new Map());
      out.get(n.host)!.set(n.key, n.value);
    } catch {
      continue;
    }
  }
  return out;
}
