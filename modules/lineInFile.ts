/**
 * Make one line present in a file (replacing the line a regex matches, or inserted after/before
 * a regex match, at the end by default) or absent. With `backrefs`, the line is the match's
 * replacement (`$1`), and nothing is inserted when nothing matches. The new content can be
 * checked before it goes live (`validate: 'visudo -cf %s'`): it is written beside the target
 * with the final owner and mode, validated, then renamed over it atomically. `backup` keeps the
 * old file (`cp -p`: same mode and owner). Idempotent. Check mode: full. Diff: full.
 *
 * @example
 * lineInFile({ path: '/etc/ssh/sshd_config', regexp: /^#?PasswordAuthentication\s/, line: 'PasswordAuthentication no', validate: '/usr/sbin/sshd -t -f %s' }, { become: true, notify: 'reload sshd' })
 * lineInFile({ path: '/etc/sudoers.d/ucwadmin', line: 'ucwadmin ALL=(ALL) NOPASSWD:ALL', create: true, mode: '0440', validate: 'visudo -cf %s' }, { become: true })
 * lineInFile({ path: '/etc/hosts', regexp: /\sold-pbx$/, present: false })
 */
import { defineModule, change, noop, ParamError, type Plan } from '../runner/module.ts';
import {
  checkValidate,
  fileChange,
  readEditedFile,
  shownDiff,
  type EditedFile,
  type EditedFileParams,
  type WriteOptions,
} from './lib/writeFile.ts';

export interface LineInFileParams extends EditedFileParams, WriteOptions {
  /** The line (no newline). With `backrefs`: a replacement for `regexp`'s match (`$1`, `$<name>`). */
  line?: string;
  /** The line to replace (present) or the lines to remove (absent); the last match, or the first with `firstMatch`. */
  regexp?: RegExp;
  /** Whether the line should be there. @default true */
  present?: boolean;
  /** Where a new line goes: after the last line matching this, or `'EOF'`. @default 'EOF' */
  insertAfter?: RegExp | 'EOF';
  /** Where a new line goes: before the last line matching this, or `'BOF'`. */
  insertBefore?: RegExp | 'BOF';
  /** `regexp`/`insertAfter`/`insertBefore` use the first matching line, not the last. @default false */
  firstMatch?: boolean;
  /** With `regexp`: the line is built from the match; no match, no change. @default false */
  backrefs?: boolean;
}

export const lineInFile = defineModule<LineInFileParams, EditedFile>({
  name: 'lineInFile',
  summary: (p) => `${p.path}: ${p.present === false ? 'no ' : ''}${p.line ?? String(p.regexp)}`,
  validate: (p) => {
    if (!p.path?.startsWith('/')) throw new ParamError(`lineInFile: "path" must be absolute, not ${JSON.stringify(p.path)}`);
    if (p.present !== false && p.line === undefined) throw new ParamError('lineInFile: "line" is required unless present: false');
    if (p.present === false && p.line === undefined && !p.regexp) throw new ParamError('lineInFile: give "line" or "regexp" to remove');
    if (p.line?.includes('\n')) throw new ParamError('lineInFile: "line" is one line; use blockInFile for several');
    if (p.backrefs && !p.regexp) throw new ParamError('lineInFile: "backrefs" needs "regexp"');
    if (p.insertAfter && p.insertBefore) throw new ParamError('lineInFile: give "insertAfter" or "insertBefore", not both');
    checkValidate('lineInFile', p.validate);
  },
  facts: (ctx, p) => readEditedFile('lineInFile', ctx, p.path),
  plan,
});

const lastIndex = (lines: string[], re: RegExp, first?: boolean) => {
  const hits = lines.map((l, i) => (re.test(l) ? i : -1)).filter((i) => i >= 0);
  return hits.length ? (first ? hits[0]! : hits.at(-1)!) : -1;
};
const fresh = (re: RegExp) => new RegExp(re.source, re.flags.replace('g', ''));

/** Pure: the file's lines → the new text, or why it already is right. */
export function plan(p: LineInFileParams, f: EditedFile): Plan {
  if (f.content === null && p.present === false) return noop(`${p.path} does not exist`);
  if (f.content === null && !p.create) throw new ParamError(`lineInFile: ${p.path} does not exist (create: true makes it)`);
  const before = f.content ?? '';
  const lines = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const re = p.regexp ? fresh(p.regexp) : undefined;
  let out = [...lines];
  if (p.present === false) out = lines.filter((l) => !(re ? re.test(l) : l === p.line));
  else {
    const at = re ? lastIndex(lines, re, p.firstMatch) : -1;
    const line = p.backrefs && at >= 0 ? lines[at]!.replace(re!, p.line!) : p.line!;
    if (at >= 0) out[at] = line;
    else if (p.backrefs) return noop(`${p.path}: nothing matches ${p.regexp} (backrefs: no insert)`);
    else if (!lines.includes(line)) {
      const anchor = p.insertBefore ?? p.insertAfter ?? 'EOF';
      if (anchor === 'BOF') out.unshift(line);
      else if (anchor === 'EOF') out.push(line);
      else {
        const i = lastIndex(lines, fresh(anchor), p.firstMatch);
        if (i < 0) out.push(line);
        else out.splice(p.insertBefore ? i : i + 1, 0, line);
      }
    }
  }
  const after = out.length ? out.join('\n') + '\n' : '';
  // an untouched file keeps its bytes, even without a final newline
  const same = f.content !== null && out.length === lines.length && out.every((l, i) => l === lines[i]);
  const c = fileChange(p.path, f.content, same ? before : after, f.stat, p);
  if (!c.steps.length) return noop(`${p.path} ${p.present === false ? 'has no such line' : 'has the line'}`);
  return change(c.why.join(', '), { steps: c.steps, diff: c.changesContent ? [shownDiff(p.path, f.content, after)] : undefined });
}
