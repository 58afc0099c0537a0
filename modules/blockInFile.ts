/**
 * Make a block of lines present between two marker lines in a file (`# BEGIN UCW-RUNNER MANAGED
 * BLOCK` … `# END …`), replacing the block that is there, or insert it after/before a regex
 * match (at the end by default) — or remove the block and its markers. `validate` and `backup`
 * as for `lineInFile`: the new content is written beside the target with its final owner and
 * mode, checked, and renamed over it. Idempotent. Check mode: full. Diff: full.
 *
 * @example
 * blockInFile({ path: '/etc/ssh/sshd_config', marker: '# {mark} baseline', block: 'PermitRootLogin prohibit-password\nX11Forwarding no', insertBefore: /^Match /, validate: '/usr/sbin/sshd -t -f %s' }, { become: true })
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

export interface BlockInFileParams extends EditedFileParams, WriteOptions {
  /** The lines between the markers (a final newline is optional). */
  block?: string;
  /** Whether the block should be there. @default true */
  present?: boolean;
  /** The marker line, `{mark}` replaced by `markerBegin`/`markerEnd`; makes the block findable again. @default '# {mark} UCW-RUNNER MANAGED BLOCK' */
  marker?: string;
  /** Replaces `{mark}` in the first marker line. @default 'BEGIN' */
  markerBegin?: string;
  /** Replaces `{mark}` in the last marker line. @default 'END' */
  markerEnd?: string;
  /** A new block goes after the last line matching this, or at `'EOF'`. @default 'EOF' */
  insertAfter?: RegExp | 'EOF';
  /** A new block goes before the last line matching this, or at `'BOF'`. */
  insertBefore?: RegExp | 'BOF';
}

export const blockInFile = defineModule<BlockInFileParams, EditedFile>({
  name: 'blockInFile',
  summary: (p) => `${p.path}${p.present === false ? ' (block absent)' : ''}`,
  validate: (p) => {
    if (!p.path?.startsWith('/')) throw new ParamError(`blockInFile: "path" must be absolute, not ${JSON.stringify(p.path)}`);
    if (p.present !== false && p.block === undefined) throw new ParamError('blockInFile: "block" is required unless present: false');
    if (p.marker !== undefined && (!p.marker.includes('{mark}') || p.marker.includes('\n')))
      throw new ParamError('blockInFile: "marker" is one line containing {mark}');
    if (p.insertAfter && p.insertBefore) throw new ParamError('blockInFile: give "insertAfter" or "insertBefore", not both');
    checkValidate('blockInFile', p.validate);
  },
  facts: (ctx, p) => readEditedFile('blockInFile', ctx, p.path),
  plan,
});

/** Pure: the file → the file with the block in place (or gone). */
export function plan(p: BlockInFileParams, f: EditedFile): Plan {
  if (f.content === null && p.present === false) return noop(`${p.path} does not exist`);
  if (f.content === null && !p.create) throw new ParamError(`blockInFile: ${p.path} does not exist (create: true makes it)`);
  const marker = p.marker ?? '# {mark} UCW-RUNNER MANAGED BLOCK';
  const begin = marker.replace('{mark}', p.markerBegin ?? 'BEGIN');
  const end = marker.replace('{mark}', p.markerEnd ?? 'END');
  const before = f.content ?? '';
  const lines = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const b = lines.indexOf(begin);
  const e = b >= 0 ? lines.indexOf(end, b + 1) : -1;
  const body =
    p.present === false
      ? []
      : [
          begin,
          ...(p.block ?? '')
            .replace(/\n$/, '')
            .split('\n')
            .filter((l, i, a) => !(l === '' && a.length === 1)),
          end,
        ];
  let out: string[];
  if (b >= 0 && e >= 0) out = [...lines.slice(0, b), ...body, ...lines.slice(e + 1)];
  else if (p.present === false) return noop(`${p.path} has no block ${JSON.stringify(begin)}`);
  else {
    out = [...lines];
    const anchor = p.insertBefore ?? p.insertAfter ?? 'EOF';
    if (anchor === 'BOF') out.unshift(...body);
    else if (anchor === 'EOF') out.push(...body);
    else {
      const re = new RegExp(anchor.source, anchor.flags.replace('g', ''));
      const hits = lines.map((l, i) => (re.test(l) ? i : -1)).filter((i) => i >= 0);
      const i = hits.at(-1);
      if (i === undefined) out.push(...body);
      else out.splice(p.insertBefore ? i : i + 1, 0, ...body);
    }
  }
  const same = f.content !== null && out.length === lines.length && out.every((l, i) => l === lines[i]);
  const after = same ? before : out.length ? out.join('\n') + '\n' : '';
  const c = fileChange(p.path, f.content, after, f.stat, p);
  if (!c.steps.length) return noop(`${p.path} ${p.present === false ? 'has no block' : 'has the block'}`);
  return change(c.why.join(', '), { steps: c.steps, diff: c.changesContent ? [shownDiff(p.path, f.content, after)] : undefined });
}
