/**
 * Make a cron job present (or absent), known by its name: a `# ucw-runner: NAME` comment line
 * above the entry, in a file under `/etc/cron.d/` (`cronFile`, with the user field) or in a
 * user's crontab (`crontab -u USER -`, the table on stdin). A changed schedule or command
 * replaces the named entry; other entries are left alone. Idempotent. Check mode: full.
 * Diff: the table or file.
 *
 * @example
 * cron({ name: 'mysql dump', cronFile: 'ucw-backup', user: 'root', minute: '15', hour: '2', job: '/usr/local/sbin/ucw-dump >/dev/null' }, { become: true })
 * cron({ name: 'cleanup', special: 'daily', job: 'find /tmp/ucw -mtime +7 -delete', user: 'ucware' }, { become: true })
 */
import { defineModule, change, noop, exec, ParamError, sh, type Plan, type Step } from '../runner/module.ts';
import { readFile, statFile, type FileStat } from './facts/files.ts';
import { fileChange } from './lib/writeFile.ts';

export interface CronParams {
  /** The entry's identity (the marker comment above it); unique per table. */
  name: string;
  /** The command line. */
  job?: string;
  /** Whether the entry should exist. @default true */
  present?: boolean;
  /** The user it runs as (and, without `cronFile`, whose crontab). @default 'root' */
  user?: string;
  /** A file in /etc/cron.d/ (letters, digits, `_`, `-` only: cron skips other names). Unset: the user's crontab. */
  cronFile?: string;
  /** Minute field (0–59, lists, ranges, steps). @default '*' */
  minute?: string;
  /** Hour field (0–23). @default '*' */
  hour?: string;
  /** Day of month. @default '*' */
  day?: string;
  /** Month field (1–12 or names). @default '*' */
  month?: string;
  /** Day of week (0–7 or names). @default '*' */
  weekday?: string;
  /** Instead of the five fields: `@reboot`, `@daily`, … */
  special?: 'reboot' | 'yearly' | 'annually' | 'monthly' | 'weekly' | 'daily' | 'hourly';
}

export interface CronFacts {
  /** The table or file text (null: none yet). */
  content: string | null;
  stat: FileStat;
}

const marker = (name: string) => `# ucw-runner: ${name}`;
const FIELD = /^[0-9A-Za-z*,/-]+$/;

export const cron = defineModule<CronParams, CronFacts>({
  name: 'cron',
  summary: (p) => `${p.name}${p.present === false ? ' absent' : ''}`,
  validate: (p) => {
    if (!p.name || p.name.includes('\n')) throw new ParamError('cron: "name" is one non-empty line');
    if (p.present !== false && (!p.job || p.job.includes('\n'))) throw new ParamError('cron: "job" is one non-empty line');
    if (p.cronFile !== undefined && !/^[A-Za-z0-9_-]+$/.test(p.cronFile))
      throw new ParamError(
        `cron: "cronFile" ${JSON.stringify(p.cronFile)}: only letters, digits, _ and - (cron ignores other names in /etc/cron.d)`,
      );
    for (const k of ['minute', 'hour', 'day', 'month', 'weekday'] as const) {
      if (p[k] !== undefined && !FIELD.test(p[k]!)) throw new ParamError(`cron: "${k}" ${JSON.stringify(p[k])} is not a cron field`);
      if (p[k] !== undefined && p.special) throw new ParamError(`cron: "${k}" and "special" exclude each other`);
    }
  },
  facts: async (ctx, p) => {
    if (p.cronFile) {
      const path = `/etc/cron.d/${p.cronFile}`;
      const stat = await statFile(ctx, path);
      return { stat, content: stat.exists ? await readFile(ctx, path) : null };
    }
    const r = await ctx.run(sh`crontab -u ${p.user ?? 'root'} -l` + ' 2>&1', { quiet: true, okExitCodes: 'any' });
    if (r.exitCode !== 0 && !/^no crontab for /.test(r.stdout))
      throw new ParamError(`cron: crontab -l for ${p.user ?? 'root'} failed on ${ctx.host.name}: ${r.stdout.trim()}`);
    return { stat: { exists: r.exitCode === 0 }, content: r.exitCode === 0 ? r.stdout : null };
  },
  plan,
});

/** The entry line as cron reads it. */
export const entryLine = (p: CronParams) =>
  `${p.special ? `@${p.special}` : [p.minute, p.hour, p.day, p.month, p.weekday].map((x) => x ?? '*').join(' ')}${p.cronFile ? ` ${p.user ?? 'root'}` : ''} ${p.job}`;

/** Pure: the table → the table with the named entry in place (or gone). */
export function plan(p: CronParams, f: CronFacts): Plan {
  const where = p.cronFile ? `/etc/cron.d/${p.cronFile}` : `crontab of ${p.user ?? 'root'}`;
  const lines = (f.content ?? '').split('\n').filter((l, i, a) => !(l === '' && i === a.length - 1));
  const at = lines.indexOf(marker(p.name));
  const out = [...lines];
  if (at >= 0) out.splice(at, at + 1 < lines.length && !lines[at + 1]!.startsWith('#') ? 2 : 1);
  if (p.present !== false) out.splice(at >= 0 ? at : out.length, 0, marker(p.name), entryLine(p));
  const after = out.map((l) => l + '\n').join('');
  if (after === (f.content ?? '') || (f.content === null && out.length === 0))
    return noop(`${where} ${p.present === false ? 'has no entry' : 'has the entry'} "${p.name}"`);
  const diff = [{ path: p.cronFile ? where : `(crontab ${p.user ?? 'root'})`, before: f.content, after }];
  const why = `${p.present === false ? 'remove' : at >= 0 ? 'update' : 'add'} "${p.name}" in ${where}`;
  if (p.cronFile) {
    const c = fileChange(where, f.content, after, f.stat, { mode: '0644', owner: 'root', group: 'root' });
    // a host without the cron package (a minimal image) has no /etc/cron.d; the file waits there for it
    const dir = f.content === null ? [exec('mkdir -p -m 0755 /etc/cron.d')] : [];
    return change(why, { steps: [...dir, ...c.steps], diff });
  }
  const steps: Step[] = [exec(sh`crontab -u ${p.user ?? 'root'} -`, { stdin: after })];
  return change(why, { steps, diff });
}
