/**
 * apt sources in `/etc/apt/sources.list`, `sources.list.d/*.list` and deb822
 * `sources.list.d/*.sources`: add or remove an entry, or edit existing entries in place —
 * replace one path segment of a URI, a suite or a component — leaving every other line,
 * comment, the file's mode and owner as they were. Files are written atomically.
 * Idempotent. Check mode: full. Diff: full (the files before and after).
 *
 * Does NOT run `apt-get update` unless `update: true` (and only when something changed):
 * the usual next task, `aptUpgrade`, updates the lists itself.
 *
 * @example
 * // UCware 4.5 → 5: `deb https://packages.ucware.de/ubuntu/ucware-4.5 bionic main` becomes …/ucware-5
 * aptSources({ file: '/etc/apt/sources.list.d/ucware.list', replace: { field: 'uri', from: 'ucware-4.5', to: 'ucware-5' }, backup: true }, { become: true })
 * aptSources({ file: '/etc/apt/sources.list.d/mysql.list', line: 'deb http://repo.mysql.com/apt/debian bookworm mysql-8.0' })
 * aptSources({ file: '/etc/apt/sources.list.d/debian.sources', entry: { types: ['deb'], uris: ['http://deb.debian.org/debian'], suites: ['bookworm'], components: ['main'] } })
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
import { noninteractiveApt } from './facts/apt.ts';
import { aptRun } from './lib/aptRun.ts';
import {
  appendText,
  entriesOf,
  formatDeb822,
  isDeb822,
  parseLine,
  parseSourceFiles,
  readSourcesCommand,
  removeEntries,
  replaceInFile,
  sameEntry,
  type SourceEntry,
  type SourceFile,
  type SourceReplace,
} from './facts/sources.ts';

export type { SourceReplace, SourceEntry };

export interface Deb822Entry {
  /** Binary and/or source packages. @default ['deb'] */
  types?: ('deb' | 'deb-src')[];
  /** Repository base URIs. */
  uris: string[];
  /** Suites (codenames), e.g. `bookworm`, `noble-updates`. */
  suites: string[];
  /** Components, e.g. `main`. @default [] */
  components?: string[];
  /** Other fields, e.g. `{ 'Signed-By': '/etc/apt/keyrings/x.gpg' }`. */
  options?: Record<string, string>;
}

export interface AptSourcesParams {
  /**
   * The file to add to (required with `line`/`entry` and `present: true`), or the only file
   * searched. Unset: every source file is searched.
   */
  file?: string;
  /** A one-line entry, `deb [options] URI suite [components…]`, to ensure in a `.list` file. */
  line?: string;
  /** A deb822 entry to ensure in a `.sources` file. */
  entry?: Deb822Entry;
  /** With `line`/`entry`: whether it should exist. Removing searches every file (or `file`). @default true */
  present?: boolean;
  /** Edit existing entries in place. Fails when no entry has `from` and none has `to` already. */
  replace?: SourceReplace;
  /** Copy each file to `<file>.<timestamp>.bak` before changing it. @default false */
  backup?: boolean;
  /** Run `apt-get update` after a change (not when nothing changed). @default false */
  update?: boolean;
}

export interface AptSourcesResult {
  /** Files that changed (or would). */
  changedFiles: string[];
  /** Every entry seen, after the change. */
  entries: SourceEntry[];
}

interface Facts {
  files: SourceFile[];
}

export const aptSources = defineModule<AptSourcesParams, Facts, AptSourcesResult>({
  name: 'aptSources',
  summary: (p) =>
    p.replace
      ? `${p.replace.from} → ${p.replace.to}${p.file ? ` in ${p.file}` : ''}`
      : `${p.present === false ? 'remove' : 'ensure'} ${p.line ?? p.entry?.uris.join(' ') ?? ''}`,
  validate,
  facts: async (ctx, p) => {
    const addTo = p.present !== false && (p.line || p.entry) ? p.file : undefined;
    // look at every file (a duplicate elsewhere makes apt warn), but edit only `file` when given
    const r = await ctx.run(readSourcesCommand(addTo ? undefined : p.file), { quiet: true });
    const files = parseSourceFiles(r.stdout);
    return { files };
  },
  plan,
});

function validate(p: AptSourcesParams): void {
  const kinds = [p.line !== undefined, p.entry !== undefined, p.replace !== undefined].filter(Boolean).length;
  if (kinds !== 1) throw new ParamError('aptSources: give exactly one of "line", "entry" or "replace"');
  if (p.file !== undefined && !/^\/etc\/apt\/(sources\.list|sources\.list\.d\/[^/]+\.(list|sources))$/.test(p.file))
    throw new ParamError(
      `aptSources: "file" must be /etc/apt/sources.list or /etc/apt/sources.list.d/NAME.list|.sources, not ${JSON.stringify(p.file)}`,
    );
  if (p.line !== undefined) {
    try {
      parseLine(p.line);
    } catch (e) {
      throw new ParamError(`aptSources: ${(e as Error).message}`);
    }
    if (p.file && isDeb822(p.file)) throw new ParamError('aptSources: a one-line "line" goes in a .list file; use "entry" for .sources');
  }
  if (p.entry) {
    if (!p.entry.uris?.length || !p.entry.suites?.length) throw new ParamError('aptSources: "entry" needs uris and suites');
    if (p.file && !isDeb822(p.file)) throw new ParamError('aptSources: a deb822 "entry" goes in a .sources file; use "line" for .list');
  }
  if ((p.line || p.entry) && p.present !== false && !p.file) throw new ParamError('aptSources: adding an entry needs "file"');
  if (p.replace) {
    const r = p.replace;
    if (!['uri', 'suite', 'component'].includes(r.field))
      throw new ParamError(`aptSources: replace.field must be uri, suite or component, not ${JSON.stringify(r.field)}`);
    if (!r.from || !r.to || /[\s/]/.test(r.from) || /[\s/]/.test(r.to))
      throw new ParamError('aptSources: replace.from and replace.to must be single words (a path segment, suite or component)');
    if (r.from === r.to) throw new ParamError('aptSources: replace.from equals replace.to');
  }
}

const toEntry = (e: Deb822Entry): SourceEntry => ({
  format: 'deb822',
  file: '(param)',
  line: 0,
  enabled: true,
  types: e.types ?? ['deb'],
  uris: e.uris,
  suites: e.suites,
  components: e.components ?? [],
  options: e.options ?? {},
});

/** Pure: the source files → new contents, atomic uploads, a diff per changed file. */
export function plan(p: AptSourcesParams, f: Facts, now = new Date()): Plan<AptSourcesResult> {
  const after = new Map<string, string>();
  let reason = '';
  const scope = f.files.filter((x) => !p.file || x.path === p.file);

  if (p.replace) {
    let replaced = 0;
    let already = 0;
    for (const file of scope) {
      const r = replaceInFile(file, p.replace);
      replaced += r.replaced;
      already += r.alreadyTo;
      if (r.content !== file.content) after.set(file.path, r.content);
    }
    const where = p.file ?? 'the apt sources';
    if (replaced === 0 && already === 0) {
      const has = scope.length
        ? `entries there: ${scope.flatMap((x) => entriesOf(x).map((e) => `${e.uris.join(' ')} ${e.suites.join(' ')}`)).join('; ') || 'none'}`
        : 'no such file';
      throw new TaskFailed(
        `aptSources: no ${p.replace.field} "${p.replace.from}" (nor "${p.replace.to}") in ${where}${p.replace.uriContains ? ` for URIs containing "${p.replace.uriContains}"` : ''}; ${has}`,
      );
    }
    reason = replaced
      ? `${p.replace.field} ${p.replace.from} → ${p.replace.to} in ${[...after.keys()].join(', ')} (${replaced} ${replaced === 1 ? 'entry' : 'entries'})`
      : `${where} already use${p.file ? 's' : ''} ${p.replace.to}`;
  } else {
    const want = p.line !== undefined ? parseLine(p.line) : toEntry(p.entry!);
    if (p.present === false) {
      let removed = 0;
      for (const file of scope) {
        const r = removeEntries(file, want);
        removed += r.removed;
        if (r.removed) after.set(file.path, r.content);
      }
      reason = removed ? `remove ${removed} ${removed === 1 ? 'entry' : 'entries'} from ${[...after.keys()].join(', ')}` : 'no such entry';
    } else {
      const found = f.files.flatMap((x) => entriesOf(x)).find((e) => sameEntry(e, want));
      if (found) reason = `already in ${found.file} line ${found.line}`;
      else {
        const target = f.files.find((x) => x.path === p.file);
        const text = p.line !== undefined ? p.line.trim() + '\n' : formatDeb822(want);
        after.set(p.file!, appendText(target?.content ?? '', text, isDeb822(p.file!)));
        reason = `${target ? 'add to' : 'create'} ${p.file}`;
      }
    }
  }

  const entries = f.files.flatMap((x) => entriesOf(after.has(x.path) ? { path: x.path, content: after.get(x.path)! } : x));
  for (const [path, content] of after) if (!f.files.some((x) => x.path === path)) entries.push(...entriesOf({ path, content }));
  const result: AptSourcesResult = { changedFiles: [...after.keys()], entries };
  if (after.size === 0) return noop(reason, result);

  const steps: Step[] = [];
  const diff: FileDiff[] = [];
  const stamp = now.toISOString().replace(/[-:]/g, '').slice(0, 15);
  for (const [path, content] of after) {
    const before = f.files.find((x) => x.path === path)?.content ?? null;
    if (p.backup && before !== null) steps.push(exec(sh`cp -p -- ${path} ${`${path}.${stamp}.bak`}`));
    // a new file gets 0644; an existing one keeps its mode and owner (upload copies them)
    steps.push(upload(path, content, before === null ? { mode: '0644' } : {}));
    diff.push({ path, before, after: content });
  }
  // `apt-get update` waits for a held lists lock, as aptUpgrade's does
  if (p.update) steps.push(aptRun(noninteractiveApt(['-q', 'update']), 300_000));
  return change(reason + (p.update ? ', then apt-get update' : ''), { steps, diff, result });
}
