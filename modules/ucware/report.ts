/**
 * The per-host upgrade report: versions before and after, conffiles kept (with the diffs of
 * what the packages shipped instead), the backup's location, snapshot names, time per phase.
 * Written to `<dir>/upgrade-report.md` on the controller and summarised on the host's row.
 * Never reports `changed`: it describes, it does not act. Check mode: writes nothing.
 *
 * @example
 * ucwareReport((h) => ({ dir: `backups/${h.name}/${stamp}`, before: …, after: … }))
 */
import { join, resolve } from 'node:path';
import { defineModule, change, sh, privateDir, writePrivateFile } from '../../runner/module.ts';

export interface KeptConffile {
  path: string;
  /** Holds secrets (passwords, keys): reports say only that it was kept and changed, never its diff. @default false */
  secret?: boolean;
  /** What the package shipped instead, left beside it. */
  leftovers: { path: string; diff?: string }[];
}

export interface UcwareReportParams {
  /** Folder on the controller for `upgrade-report.md`. */
  dir: string;
  before: Record<string, string | null>;
  after: Record<string, string | null>;
  conffiles: KeptConffile[];
  backupDir?: string;
  snapshots: string[];
  rollbackCommand?: string;
  /** Seconds per phase. */
  phases: Record<string, number>;
  pending: string[];
}

export interface UcwareReportResult {
  file: string;
  text: string;
}

export const ucwareReport = defineModule<UcwareReportParams, Record<string, string>, UcwareReportResult>({
  name: 'ucwareReport',
  summary: () => 'upgrade report',
  // The diff of each kept file against what the package shipped, read on the host.
  facts: async (ctx, p) => {
    const diffs: Record<string, string> = {};
    for (const c of p.conffiles) {
      if (c.secret) continue;
      for (const l of c.leftovers) {
        diffs[l.path] = (await ctx.run(sh`diff -u -- ${c.path} ${l.path}`, { okExitCodes: [0, 1], quiet: true })).stdout;
      }
    }
    return diffs;
  },
  plan: (p) => change(`write ${join(p.dir, 'upgrade-report.md')}`, { steps: [] }),
  apply: async (ctx, params, diffs) => {
    const p = {
      ...params,
      conffiles: params.conffiles.map((c) => ({ ...c, leftovers: c.leftovers.map((l) => ({ ...l, diff: diffs[l.path] || l.diff })) })),
    };
    const file = writeReport(ctx.host.name, p);
    const text = renderReport(ctx.host.name, p);
    for (const l of summaryLines(p)) ctx.output(l);
    ctx.report?.({
      versionsBefore: p.before,
      versionsAfter: p.after,
      conffiles: p.conffiles.map((c) =>
        c.secret ? { path: c.path, secret: true } : { path: c.path, diff: c.leftovers.map((l) => l.diff ?? '').join('\n') || undefined },
      ),
      snapshots: p.snapshots,
      ...(p.rollbackCommand ? { rollbackCommand: p.rollbackCommand } : {}),
    });
    return { changed: false, reason: `${summaryLines(p).join('; ')} — report: ${file}`, result: { file, text } };
  },
});

export function summaryLines(p: UcwareReportParams): string[] {
  const v = (r: Record<string, string | null>) => r.ucware ?? Object.values(r)[0] ?? '?';
  const kept = p.conffiles.filter((c) => c.leftovers.length).map((c) => c.path);
  return [
    `UCware ${v(p.before)} → ${v(p.after)}`,
    `${p.conffiles.length} conffiles kept${kept.length ? ` (package versions left beside ${kept.join(', ')})` : ''}`,
    ...(p.backupDir ? [`backup ${p.backupDir}`] : []),
    ...(p.pending.length ? [`${p.pending.length} manual step(s) pending`] : []),
  ];
}

/** Pure: the Markdown report. */
export function renderReport(host: string, p: UcwareReportParams): string {
  const v = (r: Record<string, string | null>) =>
    Object.entries(r)
      .map(([k, x]) => `${k} ${x ?? 'absent'}`)
      .join(', ') || 'unknown';
  const lines = [
    `# UCware upgrade report: ${host}`,
    '',
    `- versions before: ${v(p.before)}`,
    `- versions after: ${v(p.after)}`,
    `- backup: ${p.backupDir ?? 'none taken in this run'}`,
    `- snapshots: ${p.snapshots.join(', ') || 'none'}`,
    ...(p.rollbackCommand ? [`- roll back: \`${p.rollbackCommand}\``] : []),
    `- time per phase: ${
      Object.entries(p.phases)
        .map(([k, s]) => `${k} ${s.toFixed(1)} s`)
        .join(', ') || '-'
    }`,
    '',
    '## Configuration files kept',
  ];
  if (p.conffiles.length === 0) lines.push('', 'none recorded');
  for (const c of p.conffiles) {
    lines.push(
      '',
      `### ${c.path}`,
      '',
      c.secret
        ? 'kept and changed; marked secret, so its contents are not shown.'
        : c.leftovers.length
          ? 'The package shipped a different version, left beside it:'
          : 'kept; no leftover from the packages.',
    );
    if (c.secret) continue;
    for (const l of c.leftovers) lines.push('', `- \`${l.path}\``, ...(l.diff ? ['', '```diff', l.diff.trimEnd(), '```'] : []));
  }
  lines.push('', '## Pending manual steps', '', ...(p.pending.length ? p.pending.map((x) => `- ${x}`) : ['none']), '');
  lines.push(
    "The whole fleet, with timelines and every host of this run: `report.html` in the run's log folder (`logs/<run>/report.html`, printed after the recap).",
    '',
  );
  return lines.join('\n');
}

/** Writes the report on the controller (called by the playbook's report task outside check mode). */
export function writeReport(host: string, p: UcwareReportParams): string {
  const dir = resolve(p.dir);
  privateDir(dir);
  const file = join(dir, 'upgrade-report.md');
  writePrivateFile(file, renderReport(host, p));
  return file;
}
