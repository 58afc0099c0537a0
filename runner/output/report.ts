/**
 * The fleet report, `logs/<run>/report.html`: what the admin hands in after the window. It is
 * built from events only (phases: the innermost block of each task, from `task:start`, what modules said through
 * `host:report`, pending steps, failures) and written when the run ends, 0600 in the 0700 run folder.
 */
import { join } from 'node:path';
import { mask } from '../model/secrets.ts';
import { privateDir, writePrivateFile } from './privateFiles.ts';
import { renderReportHtml } from './reportHtml.ts';
import type { FleetReport, HostEntry } from './reportHtml.ts';
import type { RunEvent, RunEvents } from './events.ts';
import type { HostReport } from '../model/plan.ts';

export type { FleetReport, HostEntry, TaskLine } from './reportHtml.ts';

const TAIL = 40;

export interface ReportOptions {
  dir: string;
  resumeCommand: string;
  /** `run rollback INV --limit HOST --to SNAPSHOT`, HOST and SNAPSHOT filled in per host. */
  rollbackCommand?: string;
  /** Called with the file's path once written. */
  written?: (file: string) => void;
}

/** Collects the run's events and writes the report on `run:done`. */
export function attachReport(events: RunEvents, o: ReportOptions): void {
  const r: FleetReport = {
    runId: '',
    playbook: '',
    inventory: '',
    check: false,
    start: Date.now(),
    end: Date.now(),
    hosts: [],
    resumeCommand: o.resumeCommand,
    rollbackCommand: o.rollbackCommand,
  };
  const byName = new Map<string, HostEntry>();
  const hostOf = (name: string) => {
    let h = byName.get(name);
    if (!h) byName.set(name, (h = { name, status: 'not started', tasks: [], report: {}, pending: [], tail: [] }));
    return h;
  };
  events.on((e) => {
    collect(r, e, hostOf);
    if (e.type === 'run:done') {
      r.end = Date.now();
      r.exitCode = e.exitCode;
      r.hosts = [...byName.values()];
      o.written?.(writeReport(o.dir, r));
    }
  });
}

function collect(r: FleetReport, e: RunEvent, hostOf: (name: string) => HostEntry): void {
  switch (e.type) {
    case 'run:start':
      Object.assign(r, { runId: e.runId, playbook: e.playbook, inventory: e.inventory, check: e.check, start: Date.now() });
      for (const h of e.hosts) hostOf(h);
      return;
    case 'task:start':
      hostOf(e.host).tasks.push({ task: e.task, phase: e.phase ?? e.task, start: Date.now() });
      return;
    case 'task:done': {
      const h = hostOf(e.host);
      let t = [...h.tasks].reverse().find((x) => x.task === e.task && x.end === undefined);
      if (!t) h.tasks.push((t = { task: e.task, phase: e.task, start: Date.now() - e.durationMs }));
      Object.assign(t, { end: Date.now(), status: e.status, changed: e.changed, reason: e.reason, error: e.error });
      return;
    }
    case 'task:output': {
      const h = hostOf(e.host);
      h.tail.push(`${e.line.split('\r').at(-1)}`);
      if (h.tail.length > TAIL) h.tail.shift();
      return;
    }
    case 'host:report':
      mergeReport(hostOf(e.host).report, e.report);
      return;
    case 'pending':
      hostOf(e.host).pending.push(e.message);
      return;
    case 'host:done':
      Object.assign(hostOf(e.host), { status: e.status, counts: e.counts, error: e.error });
      return;
    case 'run:stopped':
      r.stopped = e.reason;
      return;
  }
}

/** Later reports add to earlier ones: lists are appended, maps and fields replaced. */
export function mergeReport(into: HostReport, add: HostReport): void {
  if (add.versionsBefore) into.versionsBefore = { ...into.versionsBefore, ...add.versionsBefore };
  if (add.versionsAfter) into.versionsAfter = { ...into.versionsAfter, ...add.versionsAfter };
  if (add.conffiles)
    into.conffiles = [...(into.conffiles ?? []).filter((c) => !add.conffiles!.some((a) => a.path === c.path)), ...add.conffiles];
  if (add.backups) into.backups = [...(into.backups ?? []), ...add.backups];
  if (add.snapshots) into.snapshots = [...new Set([...(into.snapshots ?? []), ...add.snapshots])];
  if (add.rollbackCommand) into.rollbackCommand = add.rollbackCommand;
}

function writeReport(dir: string, r: FleetReport): string {
  privateDir(dir);
  const file = join(dir, 'report.html');
  writePrivateFile(file, mask(renderReportHtml(r)));
  return file;
}
