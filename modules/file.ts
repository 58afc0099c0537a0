/**
 * Make a path exist as a file or directory with a given mode and owner — or not exist.
 * Idempotent. Check mode: full. Diff: existence only.
 *
 * @example
 * file({ path: '/var/backups/ucware', kind: 'directory', mode: '0750', owner: 'root' }, { become: true })
 * file({ path: '/root/.my.cnf', present: false })
 */
import { defineModule, change, noop, exec, type Plan, type Step, ParamError, sh } from '../runner/module.ts';
import { sameMode, statFile, type FileStat } from './facts/files.ts';

export interface FileParams {
  path: string;
  /** Whether the path should exist. @default true */
  present?: boolean;
  /** @default 'file' */
  kind?: 'file' | 'directory';
  /** Octal, e.g. '0640'. Unset: left as it is (new files get the umask's). */
  mode?: string;
  owner?: string;
  group?: string;
}

export const file = defineModule<FileParams, FileStat>({
  name: 'file',
  summary: (p) => `${p.path}${p.present === false ? ' absent' : ''}`,
  validate: (p) => {
    if (!p.path || !p.path.startsWith('/')) throw new ParamError(`file: "path" must be absolute, not ${JSON.stringify(p.path)}`);
    if (p.mode !== undefined && !/^0?[0-7]{3,4}$/.test(p.mode))
      throw new ParamError(`file: "mode" must be octal like '0644', not ${JSON.stringify(p.mode)}`);
  },
  facts: (ctx, p) => statFile(ctx, p.path),
  plan,
});

/** Pure: stat of the path → what to do. */
export function plan(p: FileParams, f: FileStat): Plan {
  const want = p.present ?? true;
  const kind = p.kind ?? 'file';
  if (!want) {
    if (!f.exists) return noop(`${p.path} is already absent`);
    if (f.kind === 'directory')
      return change(`remove directory ${p.path}`, {
        steps: [exec(sh`rm -rf -- ${p.path}`)],
        diff: [{ path: p.path, before: '(directory)\n', after: null }],
      });
    return change(`remove ${p.path}`, {
      steps: [exec(sh`rm -f -- ${p.path}`)],
      diff: [{ path: p.path, before: `(${f.kind})\n`, after: null }],
    });
  }
  const steps: Step[] = [];
  const why: string[] = [];
  if (!f.exists) {
    steps.push(exec(kind === 'directory' ? sh`mkdir -p -- ${p.path}` : sh`touch -- ${p.path}`));
    why.push(`create ${kind} ${p.path}`);
  } else if (f.kind !== kind) {
    throw new ParamError(`file: ${p.path} exists as a ${f.kind}, not a ${kind}; remove it first (present: false)`);
  }
  if (p.mode && !sameMode(p.mode, f.mode)) {
    steps.push(exec(sh`chmod ${p.mode} -- ${p.path}`));
    why.push(`mode ${f.mode ?? '-'} → ${p.mode}`);
  }
  if ((p.owner && p.owner !== f.owner) || (p.group && p.group !== f.group)) {
    steps.push(exec(sh`chown ${(p.owner ?? '') + (p.group ? ':' + p.group : '')} -- ${p.path}`));
    why.push(`owner ${f.owner ?? '-'}:${f.group ?? '-'} → ${p.owner ?? f.owner ?? ''}:${p.group ?? f.group ?? ''}`);
  }
  if (steps.length === 0) return noop(`${p.path} is as wanted`);
  return change(why.join(', '), { steps, diff: f.exists ? undefined : [{ path: p.path, before: null, after: `(${kind})\n` }] });
}
