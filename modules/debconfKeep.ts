/**
 * Keep locally modified configuration files through package upgrades, and prove it.
 *
 * Before the upgrade (`verify` unset): writes an apt.conf.d drop-in that makes every dpkg run
 * keep modified conffiles (`--force-confdef --force-confold`), a needrestart drop-in that
 * restarts services without asking (only where needrestart is installed), and records the
 * SHA-256 of each of `files` on the host (a `sha256sum` file, so it survives reboots and
 * `--resume`). After the upgrade (`verify: true`): compares the files with that record, fails
 * when one changed, and reports every `*.dpkg-dist`, `*.dpkg-new`, `*.ucf-dist`… left beside
 * them — the version the package shipped — with its diff against the kept file.
 *
 * The environment side (DEBIAN_FRONTEND=noninteractive, UCF_FORCE_CONFFOLD=1,
 * NEEDRESTART_MODE=a, stdin at EOF, no PTY) is applied by `aptUpgrade` on every apt run;
 * it is exported as `NONINTERACTIVE_ENV` / `noninteractiveApt()` from `modules/facts/apt.ts`.
 * Idempotent. Check mode: full. Diff: the drop-ins; with `verify`, shipped vs kept.
 *
 * @example
 * const conffiles = ['/etc/ucware/ucware.php', '/etc/init/asterisk.conf']
 * debconfKeep({ files: conffiles }, { become: true })                 // before apt
 * aptUpgrade({ mode: 'full', update: true }, { become: true })
 * debconfKeep({ files: conffiles, verify: true }, { become: true, id: 'kept' }) // after: fails if one changed
 */
import {
  defineModule,
  change,
  noop,
  exec,
  upload,
  type Plan,
  type Step,
  type FileDiff,
  ParamError,
  TaskFailed,
  sh,
} from '../runner/module.ts';
import { readFile } from './facts/files.ts';

export interface DebconfKeepParams {
  /** Conffiles whose local content must survive the upgrade (absolute paths). @default [] */
  files?: string[];
  /** false: before the upgrade (drop-ins, record checksums). true: after (compare, report leftovers). @default false */
  verify?: boolean;
  /** Write the apt.conf.d and needrestart drop-ins. @default true */
  dropIns?: boolean;
  /** The checksum record on the host. @default '/var/lib/ucw-runner/debconfKeep.sha256' */
  stateFile?: string;
  /** With `verify`: fail when a listed file differs from the record. @default true */
  failOnChange?: boolean;
}

export const APT_DROP_IN = '/etc/apt/apt.conf.d/90ucw-keep-conffiles';
export const APT_DROP_IN_TEXT = `// Written by ucw-runner (debconfKeep): keep locally modified conffiles on upgrades,
// take the package's version of unmodified ones.
Dpkg::Options { "--force-confdef"; "--force-confold"; };
`;
export const NEEDRESTART_DROP_IN = '/etc/needrestart/conf.d/90-ucw-runner.conf';
export const NEEDRESTART_DROP_IN_TEXT = `# Written by ucw-runner (debconfKeep): restart services without asking.
$nrconf{restart} = 'a';
`;
const DEFAULT_STATE = '/var/lib/ucw-runner/debconfKeep.sha256';
const LEFTOVER_SUFFIXES = ['.dpkg-dist', '.dpkg-new', '.dpkg-old', '.ucf-dist', '.ucf-new', '.ucf-old'] as const;

export interface Leftover {
  /** e.g. /etc/ucware/ucware.php.dpkg-dist */
  path: string;
  /** The conffile it belongs to. */
  of: string;
  suffix: (typeof LEFTOVER_SUFFIXES)[number];
  /** Lines that differ between the kept file and this one (added + removed). */
  differingLines: number;
}

export interface DebconfKeepResult {
  /** path → sha256 now (null: missing). */
  checksums: Record<string, string | null>;
  /** verify: files equal to the record. */
  kept?: string[];
  /** verify: files that differ from the record. */
  changed?: string[];
  /** verify: files with no record (debconfKeep was not run before). */
  unrecorded?: string[];
  /** verify: what the packages shipped instead, left beside the kept files. */
  leftovers?: Leftover[];
}

interface Facts {
  checksums: Record<string, string | null>;
  record: string | null;
  aptDropIn: string | null;
  needrestart: { installed: boolean; dropIn: string | null };
  /** verify only: current content of each file and of its leftovers. */
  contents?: Record<string, string | null>;
}

const filesOf = (p: DebconfKeepParams) => p.files ?? [];

export const debconfKeep = defineModule<DebconfKeepParams, Facts, DebconfKeepResult>({
  name: 'debconfKeep',
  summary: (p) => `${p.verify ? 'verify' : 'keep'} ${filesOf(p).length ? filesOf(p).join(' ') : 'conffiles'}`,
  validate: (p) => {
    for (const f of filesOf(p))
      if (!f.startsWith('/') || /\s/.test(f))
        throw new ParamError(`debconfKeep: files must be absolute paths without spaces, not ${JSON.stringify(f)}`);
    if (p.verify && filesOf(p).length === 0) throw new ParamError('debconfKeep: verify needs "files"');
    if (p.stateFile !== undefined && !p.stateFile.startsWith('/')) throw new ParamError('debconfKeep: "stateFile" must be absolute');
  },
  facts: async (ctx, p) => {
    const files = filesOf(p);
    const sums = files.length
      ? (
          await ctx.run(sh`for f in ${files}; do if [ -f "$f" ]; then sha256sum -- "$f"; else echo "missing  $f"; fi; done`, {
            quiet: true,
          })
        ).stdout
      : '';
    const f: Facts = {
      checksums: parseSums(sums),
      record: await readFile(ctx, p.stateFile ?? DEFAULT_STATE),
      aptDropIn: p.verify ? null : await readFile(ctx, APT_DROP_IN),
      needrestart: { installed: false, dropIn: null },
    };
    if (!p.verify) {
      const nr = await ctx.run('test -d /etc/needrestart', { quiet: true, okExitCodes: [0, 1] });
      f.needrestart = { installed: nr.exitCode === 0, dropIn: nr.exitCode === 0 ? await readFile(ctx, NEEDRESTART_DROP_IN) : null };
    } else {
      const contents: Record<string, string | null> = {};
      const found = (
        await ctx.run(sh`for f in ${files.flatMap((x) => LEFTOVER_SUFFIXES.map((s) => x + s))}; do [ -f "$f" ] && echo "$f"; done; true`, {
          quiet: true,
        })
      ).stdout;
      for (const path of [...files, ...found.split('\n').filter(Boolean)]) contents[path] = await readFile(ctx, path);
      f.contents = contents;
    }
    return f;
  },
  plan,
});

/** `sha256sum` output (and `missing  path` lines) → path → hash. */
export function parseSums(out: string): Record<string, string | null> {
  const res: Record<string, string | null> = {};
  for (const line of out.split('\n')) {
    const m = /^(\S+) [ *](.+)$/.exec(line);
    if (m) res[m[2]!] = m[1] === 'missing' ? null : m[1]!;
  }
  return res;
}

const recordText = (sums: Record<string, string | null>) =>
  Object.entries(sums)
    .map(([path, h]) => `${h ?? 'missing'}  ${path}\n`)
    .join('');

/** Lines in one text but not the other (a cheap size for a diff). */
function differingLines(a: string, b: string): number {
  const count = (t: string) => t.split('\n').reduce((m, l) => m.set(l, (m.get(l) ?? 0) + 1), new Map<string, number>());
  const ca = count(a);
  const cb = count(b);
  let n = 0;
  for (const [l, k] of ca) n += Math.max(0, k - (cb.get(l) ?? 0));
  for (const [l, k] of cb) n += Math.max(0, k - (ca.get(l) ?? 0));
  return n;
}

/** Pure. Before: drop-ins and the record to write. After (verify): compare with the record. */
export function plan(p: DebconfKeepParams, f: Facts): Plan<DebconfKeepResult> {
  const stateFile = p.stateFile ?? DEFAULT_STATE;
  if (p.verify) return verifyPlan(p, f);

  const steps: Step[] = [];
  const why: string[] = [];
  const diff: FileDiff[] = [];
  if (p.dropIns ?? true) {
    if (f.aptDropIn !== APT_DROP_IN_TEXT) {
      steps.push(upload(APT_DROP_IN, APT_DROP_IN_TEXT, { mode: '0644' }));
      diff.push({ path: APT_DROP_IN, before: f.aptDropIn, after: APT_DROP_IN_TEXT });
      why.push(`${f.aptDropIn === null ? 'write' : 'fix'} ${APT_DROP_IN}`);
    }
    if (f.needrestart.installed && f.needrestart.dropIn !== NEEDRESTART_DROP_IN_TEXT) {
      steps.push(exec(sh`mkdir -p /etc/needrestart/conf.d`), upload(NEEDRESTART_DROP_IN, NEEDRESTART_DROP_IN_TEXT, { mode: '0644' }));
      diff.push({ path: NEEDRESTART_DROP_IN, before: f.needrestart.dropIn, after: NEEDRESTART_DROP_IN_TEXT });
      why.push(`write ${NEEDRESTART_DROP_IN}`);
    }
  }
  const record = recordText(f.checksums);
  const missing = Object.entries(f.checksums)
    .filter(([, h]) => h === null)
    .map(([x]) => x);
  if (filesOf(p).length && record !== f.record) {
    steps.push(exec(sh`mkdir -p -- ${stateFile.replace(/\/[^/]+$/, '') || '/'}`), upload(stateFile, record, { mode: '0600' }));
    why.push(`record checksums of ${filesOf(p).length} file(s) in ${stateFile}`);
  }
  const note = missing.length ? ` (missing now: ${missing.join(', ')})` : '';
  const result = { checksums: f.checksums };
  if (steps.length === 0) return noop(`drop-ins in place, checksums recorded${note}`, result);
  return change(why.join(', ') + note, { steps, diff, result });
}

function verifyPlan(p: DebconfKeepParams, f: Facts): Plan<DebconfKeepResult> {
  const recorded = f.record === null ? {} : parseSums(f.record);
  const kept: string[] = [];
  const changed: string[] = [];
  const unrecorded: string[] = [];
  for (const path of filesOf(p)) {
    if (!(path in recorded)) unrecorded.push(path);
    else if (recorded[path] === f.checksums[path]) kept.push(path);
    else changed.push(path);
  }
  const contents = f.contents ?? {};
  const leftovers: Leftover[] = [];
  const diff: FileDiff[] = [];
  for (const of of filesOf(p)) {
    for (const suffix of LEFTOVER_SUFFIXES) {
      const path = of + suffix;
      const text = contents[path];
      if (text === undefined || text === null) continue;
      leftovers.push({ path, of, suffix, differingLines: differingLines(contents[of] ?? '', text) });
      diff.push({ path, before: contents[of] ?? null, after: text });
    }
  }
  const result: DebconfKeepResult = { checksums: f.checksums, kept, changed, unrecorded, leftovers };
  const parts = [
    kept.length && `${kept.length} kept`,
    changed.length &&
      `CHANGED: ${changed.map((x) => `${x} (${recorded[x] ?? 'missing'} → ${f.checksums[x] ?? 'missing'})`.replace(/([0-9a-f]{12})[0-9a-f]{52}/g, '$1…')).join(', ')}`,
    unrecorded.length && `no record for ${unrecorded.join(', ')} (run debconfKeep before the upgrade)`,
    ...leftovers.map((l) => `package version left as ${l.path} (${l.differingLines} lines differ)`),
  ].filter(Boolean);
  const reason = parts.join('; ') || 'nothing to verify';
  if ((p.failOnChange ?? true) && (changed.length || unrecorded.length)) throw new TaskFailed(`debconfKeep: ${reason}`);
  return { ...noop(reason, result), diff: diff.length ? diff : undefined };
}
