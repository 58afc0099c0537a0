/**
 * Put given content into a file, atomically (temp file + rename), with mode and owner.
 * Idempotent: compares the content first. Check mode: full. Diff: full (unified), shown with
 * --diff only; with `secret: true` (a licence, a key) the content is compared by SHA-256, is
 * never shown in a diff, log, event or journal, and is masked wherever it would appear.
 *
 * @example
 * copy({ path: '/etc/needrestart/conf.d/50-auto.conf', content: "$nrconf{restart} = 'a';\n", mode: '0644' }, { become: true })
 * copy((h) => ({ path: '/etc/ucware/licence.key', content: h.vars.licence, mode: '0600', secret: true }), { become: true })
 */
import { createHash } from 'node:crypto';
import { defineModule, change, noop, upload, exec, type Plan, type Step, ParamError, sh, registerSecret } from '../runner/module.ts';
import { fileSha256, readFile, sameMode, statFile, type FileStat } from './facts/files.ts';
import { checkValidate, writeStep } from './lib/writeFile.ts';

export interface CopyParams {
  path: string;
  content: string;
  /** Octal, e.g. '0644'. Unset: kept from the file it replaces, 0644 for a new file. */
  mode?: string;
  owner?: string;
  group?: string;
  /** Keep the previous version as `<path>.<timestamp>.bak` before replacing it. @default false */
  backup?: boolean;
  /** The content is secret: compared by checksum, never shown (not even with --diff), masked everywhere. @default false */
  secret?: boolean;
  /** Command with `%s` (the new file, written beside the target with its final owner and mode) that must succeed before it replaces the old, e.g. `visudo -cf %s`. */
  validate?: string;
}

interface Facts {
  stat: FileStat;
  /** The current content (null: no file); undefined for a secret copy, which compares checksums. */
  content?: string | null;
  sha256?: string | null;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export const copy = defineModule<CopyParams, Facts>({
  name: 'copy',
  summary: (p) => p.path,
  validate: (p) => {
    if (!p.path || !p.path.startsWith('/')) throw new ParamError(`copy: "path" must be absolute, not ${JSON.stringify(p.path)}`);
    if (typeof p.content !== 'string') throw new ParamError('copy: "content" must be a string');
    if (p.mode !== undefined && !/^0?[0-7]{3,4}$/.test(p.mode))
      throw new ParamError(`copy: "mode" must be octal like '0644', not ${JSON.stringify(p.mode)}`);
    checkValidate('copy', p.validate);
  },
  facts: async (ctx, p) => {
    const stat = await statFile(ctx, p.path);
    if (stat.exists && stat.kind !== 'file') throw new ParamError(`copy: ${p.path} exists as a ${stat.kind}, not a file`);
    if (p.secret) {
      registerSecret(p.content);
      return { stat, sha256: stat.exists ? await fileSha256(ctx, p.path) : null };
    }
    return { stat, content: stat.exists ? await readFile(ctx, p.path) : null };
  },
  plan,
});

/** Pure: current content (or its checksum) and stat → upload and/or chmod/chown. */
export function plan(p: CopyParams, f: Facts, now = new Date()): Plan {
  const steps: Step[] = [];
  const why: string[] = [];
  const exists = p.secret ? f.sha256 !== null : f.content !== null;
  const contentChanges = p.secret ? f.sha256 !== sha256(p.content) : f.content !== p.content;
  if (contentChanges) {
    // with validate, the backup is taken by the write line itself, only once the new file passed
    if (p.backup && exists && !p.validate) {
      const stamp = now.toISOString().replace(/[-:]/g, '').slice(0, 15);
      steps.push(exec(sh`cp -p -- ${p.path} ${`${p.path}.${stamp}.bak`}`));
    }
    const o = { mode: p.mode, owner: p.owner, group: p.group };
    // the content goes on stdin (never argv) and is registered as a secret in facts, so a failing validate's stderr is masked too
    steps.push(p.validate ? writeStep(p.path, p.content, { ...o, validate: p.validate, backup: p.backup }) : upload(p.path, p.content, o));
    why.push(
      `${exists ? 'update' : 'create'} ${p.path}${p.secret ? ' (secret content, not shown)' : ''}${p.validate ? ' (validated)' : ''}`,
    );
  } else {
    if (p.mode && !sameMode(p.mode, f.stat.mode)) {
      steps.push(exec(sh`chmod ${p.mode} -- ${p.path}`));
      why.push(`mode ${f.stat.mode} → ${p.mode}`);
    }
    if ((p.owner && p.owner !== f.stat.owner) || (p.group && p.group !== f.stat.group)) {
      steps.push(exec(sh`chown ${(p.owner ?? '') + (p.group ? ':' + p.group : '')} -- ${p.path}`));
      why.push(`owner → ${p.owner ?? f.stat.owner}:${p.group ?? f.stat.group}`);
    }
  }
  if (steps.length === 0) return noop(`${p.path} already has this content`);
  const diff = contentChanges && !p.secret ? [{ path: p.path, before: f.content ?? null, after: p.content }] : undefined;
  return change(why.join(', '), { steps, diff });
}
