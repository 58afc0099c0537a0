/**
 * One run, start to end: load inventory and playbook, select hosts and tasks, set up the
 * outputs (terminal, JSON, per-host logs, journal), schedule, print the recap.
 * The CLI is a thin layer over this; tests call it directly too.
 */
import { randomBytes } from 'node:crypto';
import { join, relative, resolve } from 'node:path';
import { loadInventory, type ConnectionSettings, type Host, type Inventory } from '../inventory/load.ts';
import { loadPlaybook } from './load.ts';
import { discardTypeAhead } from './prompt.ts';
import { selectHosts, tagsSelect, type TagFilter } from '../inventory/select.ts';
import { schedule, type RunSummary } from '../engine/scheduler.ts';
import { connectionFor, channelFor, type ConnectOptions } from '../connection/index.ts';
import { Journal, completedTasks, latestRun, readNotes, type JournalEntry } from '../engine/journal.ts';
import { RunEvents } from '../output/events.ts';
import { attachHostLogs } from '../output/hostLog.ts';
import { privateDir } from '../output/privateFiles.ts';
import { checkInsecure } from './insecure.ts';
import { attachJson } from '../output/jsonEvents.ts';
import { attachReport } from '../output/report.ts';
import { attachPlain } from '../output/plain.ts';
import { formatRecap } from '../output/recap.ts';
import { UsageError } from '../model/errors.ts';
import { mask } from '../model/secrets.ts';
import type { Item, Playbook, Serial } from '../model/dsl.ts';
import type { Connection } from '../connection/connection.ts';
import type { Vault } from '../inventory/vault.ts';

/** One run's options; how hosts are reached (`-F`, `-k`, `-K`, `--channel`) are ConnectOptions. */
export interface RunOptions extends ConnectOptions {
  /** A name or file (loaded), or a playbook built in code (`run exec`'s one task). */
  playbook: string | Playbook;
  inventory: string;
  /** Decrypts ansible-vault data in an Ansible inventory. */
  vault?: Vault;
  /** Connection settings under every inventory level (ansible.cfg). */
  inventoryDefaults?: ConnectionSettings;
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  check?: boolean;
  diff?: boolean;
  forks?: number;
  serial?: Serial;
  maxFailPercentage?: number;
  json?: string;
  resume?: boolean;
  /** @default 'logs' */
  logsDir?: string;
  /** @default plain unless a TTY without NO_COLOR */
  view?: 'listr' | 'plain' | 'silent';
  verbose?: boolean;
  write?: (line: string) => void;
  /** For tests: replace how hosts are connected. */
  connect?: (host: Host) => Connection;
  abort?: { stopped: boolean; reason?: string };
  /** Host vars set on the command line with `-e KEY=VALUE`; they win over the inventory. */
  extraVars?: Record<string, unknown>;
  /** Options the playbook declares (`--to NAME`), set as host vars too. */
  params?: Record<string, string | true>;
  /** `--insecure`: run although NODE_TLS_REJECT_UNAUTHORIZED=0 or GOVC_INSECURE switch certificate checks off (said in the recap). */
  insecure?: boolean;
}

export interface RunResult extends RunSummary {
  runId: string;
  logDir: string;
  playbookName: string;
}

/** `persistent` or `exec` when every host uses it, else `mixed (a: persistent, b: exec)`. */
function strategyOf(hosts: Host[], channel?: 'persistent' | 'exec'): string {
  const each = hosts.map((h) => [h.name, channelFor(h, { channel })] as const);
  const kinds = new Set(each.map(([, c]) => c));
  if (kinds.size <= 1) return [...kinds][0] ?? channel ?? 'exec';
  return `mixed (${each.map(([h, c]) => `${h}: ${c}`).join(', ')})`;
}

/** The playbook's declared `--options`: none unknown, every required one given. */
function checkParams(playbook: Playbook, o: RunOptions): void {
  const declared = playbook.options.params ?? {};
  const accepts =
    Object.keys(declared)
      .map((k) => `--${k}`)
      .join(', ') || 'none';
  for (const k of Object.keys(o.params ?? {})) {
    if (!(k in declared)) throw new UsageError(`unknown option --${k} (playbook ${playbook.options.name} declares: ${accepts})`);
  }
  for (const [k, spec] of Object.entries(declared)) {
    if (spec.required && o.params?.[k] === undefined && o.extraVars?.[k] === undefined)
      throw new UsageError(`playbook ${playbook.options.name} needs --${k} <${spec.description}>`);
  }
}

/** With --resume: the latest run of this playbook on this inventory, and what it completed. */
function resumeFrom(o: RunOptions, logsDir: string, name: string, invRel: string) {
  if (!o.resume) return { resumedFrom: undefined, resumed: undefined };
  const prev = latestRun(logsDir, name, invRel);
  if (!prev) throw new UsageError(`--resume: no earlier run of "${name}" on ${invRel} in ${logsDir}`);
  return { resumedFrom: relative(logsDir, prev), resumed: completedTasks(prev) as Map<string, Map<string, JournalEntry>> };
}

/** Failed and unreachable tasks, and manual steps left, as the end of the run prints them. */
function collectProblems(events: RunEvents): { failures: string[]; pending: string[] } {
  const failures: string[] = [];
  const pending: string[] = [];
  events.on((e) => {
    if (e.type === 'pending') pending.push(`${e.host} | ${e.task}\n${indent(e.message)}`);
    if (e.type === 'task:done' && (e.status === 'failed' || e.status === 'unreachable'))
      failures.push(`${e.host} | ${e.status}: ${e.task}\n${indent(e.error ?? e.reason)}`);
  });
  return { failures, pending };
}

export async function runPlaybook(o: RunOptions): Promise<RunResult> {
  const write = o.write ?? ((l: string) => process.stdout.write(mask(l) + '\n'));
  const { file: playbookFile, playbook } =
    typeof o.playbook === 'string' ? await loadPlaybook(o.playbook) : { file: '(command line)', playbook: o.playbook };
  const inventory = await loadInventory(o.inventory, { vault: o.vault, defaults: o.inventoryDefaults });
  for (const w of inventory.warnings) write(`warning: ${w}`);
  checkParams(playbook, o);
  for (const h of inventory.hosts) Object.assign(h.vars, o.extraVars ?? {}, o.params ?? {});
  const hosts = selectHosts(inventory.hosts, inventory.groups, o.limit, {
    ansible: inventory.ansible?.data,
    warn: (w) => write(`warning: ${w}`),
    play: playbook.options.hosts,
  });
  const insecure = checkInsecure(hosts, o.insecure);
  const tags: TagFilter = { tags: o.tags, skipTags: o.skipTags };
  const logsDir = resolve(o.logsDir ?? 'logs');
  privateDir(logsDir);
  const name = playbook.options.name;
  const invRel = relative(process.cwd(), inventory.file);

  const { resumedFrom, resumed } = resumeFrom(o, logsDir, name, invRel);

  const runId = `${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}-${name}-${randomBytes(2).toString('hex')}`;
  const logDir = join(logsDir, runId);
  const journal = new Journal(logDir, {
    runId,
    playbook: name,
    playbookFile: relative(process.cwd(), playbookFile),
    inventory: invRel,
    startedAt: new Date().toISOString(),
    resumedFrom,
  });
  if (o.resume) journal.inherit(readNotes(join(logsDir, resumedFrom!)));
  const events = new RunEvents();
  attachHostLogs(events, logDir, { diff: !!o.diff });
  if (o.json) attachJson(events, o.json, { diff: !!o.diff });
  const reportFile = fleetReport(events, logDir, name, o.inventory);
  const view = o.view ?? (process.stdout.isTTY && !process.env.NO_COLOR && !process.env.CI ? 'listr' : 'plain');
  // listr2 is loaded only for a terminal view (plain runs start faster without it).
  const listr =
    view === 'listr'
      ? (await import('../output/listr.ts')).attachListr(events, { diff: !!o.diff, log: write, discardTypeAhead: () => discardTypeAhead() })
      : undefined;
  if (view === 'plain') attachPlain(events, { write, diff: !!o.diff, verbose: !!o.verbose });

  if (insecure) events.emit({ type: 'warn', message: insecure });
  events.emit({
    type: 'run:start',
    runId,
    playbook: name,
    inventory: invRel,
    hosts: hosts.map((h) => h.name),
    check: !!o.check,
    resumedFrom,
    strategy: strategyOf(hosts, o.channel),
  });
  const { failures, pending } = collectProblems(events);
  const started = Date.now();
  const summary = await schedule({
    playbook,
    hosts,
    events,
    check: !!o.check,
    tags,
    connect: o.connect ?? ((h) => connectionFor(h, (m) => events.emit({ type: 'warn', host: h.name, message: m }), o)),
    forks: o.forks ?? inventory.rollout?.forks,
    serial: o.serial ?? inventory.rollout?.serial,
    maxFailPercentage: o.maxFailPercentage ?? inventory.rollout?.maxFailPercentage,
    journal,
    resumed,
    resumedFrom,
    abort: o.abort,
  });
  events.emit({ type: 'run:done', exitCode: summary.exitCode, recap: summary.recap, durationMs: Date.now() - started });
  journal.finish(summary.exitCode);
  await listr?.finish();
  if (view !== 'silent')
    printEnd(write, { o, summary, name, logDir, insecure, failures, pending, listr: view === 'listr', report: reportFile() });
  return { ...summary, runId, logDir, playbookName: name };
}

/** The recap and what follows it: failures, pending manual steps, how to resume, where the logs are. */
function printEnd(
  write: (l: string) => void,
  e: {
    o: RunOptions;
    summary: RunSummary;
    name: string;
    logDir: string;
    insecure?: string;
    failures: string[];
    pending: string[];
    listr: boolean;
    report?: string;
  },
): void {
  write('');
  write(formatRecap(e.summary.recap, e.listr));
  if (e.insecure) write(e.insecure);
  if (e.listr && e.failures.length) write(`\nFAILURES\n${e.failures.join('\n')}`);
  if (e.pending.length) write(`\nPENDING MANUAL STEPS (not done by this run)\n${e.pending.join('\n')}`);
  for (const out of e.summary.outcomes.values()) if (out.error) write(out.error);
  if (e.summary.stopped) {
    write(
      `\nROLLOUT STOPPED: ${e.summary.stopped}.${e.summary.notStarted.length ? ` Not started: ${e.summary.notStarted.join(', ')}.` : ''}`,
    );
  }
  if (e.summary.exitCode !== 0)
    write(`\nTo continue where this run stopped: run ${e.name} ${e.o.inventory} --resume${e.o.limit ? ` --limit '${e.o.limit}'` : ''}`);
  write(`Logs: ${relative(process.cwd(), e.logDir)}/`);
  if (e.report) write(`Report: ${relative(process.cwd(), e.report)}`);
}

/** `logs/<run>/report.html`, written when the run ends; returns its path once written. */
function fleetReport(events: RunEvents, dir: string, playbook: string, inventory: string): () => string | undefined {
  let file: string | undefined;
  const resumeCommand = `run ${playbook} ${inventory} --resume --limit HOST`;
  attachReport(events, {
    dir,
    resumeCommand,
    rollbackCommand: `run rollback ${inventory} --limit HOST --to SNAPSHOT`,
    written: (f) => (file = f),
  });
  return () => file;
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');

// ---- listings ----------------------------------------------------------------------------

export function listHosts(inv: Inventory, limit?: string): string[] {
  return selectHosts(inv.hosts, inv.groups, limit, { ansible: inv.ansible?.data }).map(
    (h) =>
      `${h.name.padEnd(20)} ${h.unsupportedConnection ? `${h.unsupportedConnection} (not supported: tasks fail)` : h.connection === 'local' ? 'local' : `${h.user}@${h.address}:${h.port}`}${h.tags.length ? `  tags: ${h.tags.join(',')}` : ''}  groups: ${h.groups.filter((g) => g !== 'all').join(',') || '-'}`,
  );
}

export function listTasks(pb: Playbook, filter: TagFilter): string[] {
  const out: string[] = [`playbook: ${pb.options.name}${pb.options.description ? ` — ${pb.options.description}` : ''}`];
  const walk = (items: Item[], tags: string[], indent: string) => {
    for (const item of items) {
      const t = [...tags, ...(item.kind === 'task' ? (item.options.tags ?? []) : (item.options.tags ?? []))];
      if (item.kind === 'task') {
        if (tagsSelect(t, filter)) out.push(`${indent}${item.name}${t.length ? `  [${[...new Set(t)].join(', ')}]` : ''}`);
      } else {
        const before = out.length;
        out.push(`${indent}block: ${item.name}`);
        walk(item.steps, t, indent + '  ');
        if (item.options.rescue?.length) {
          out.push(`${indent}  rescue:`);
          walk(item.options.rescue, t, indent + '    ');
        }
        if (item.options.always?.length) {
          out.push(`${indent}  always:`);
          walk(item.options.always, t, indent + '    ');
        }
        if (out.length === before + 1) out.pop();
      }
    }
  };
  if (pb.options.preflight?.length) {
    out.push('  preflight (every host, before the first batch):');
    walk(pb.options.preflight, [], '    ');
  }
  walk(pb.steps, [], '  ');
  return out;
}
