/**
 * One shell line that replaces a file atomically with content read from stdin, for modules that
 * can check the new content before it goes live (`validate`, e.g. `visudo -cf %s`). The temp
 * file is made with `mktemp` in the target's own directory (so the rename is atomic and no other
 * filesystem such as /tmp ever holds the content), starts at 0600, gets the final owner first
 * and then the final mode, is validated, and only then renamed over the target.
 */
import { exec, raw, sh, ParamError, type ModuleContext, type Step } from '../../runner/module.ts';
import { readFile, statFile, type FileStat } from '../facts/files.ts';

export interface WriteOptions {
  /** Octal mode; unset: kept (0644 for a new file). */
  mode?: string;
  /** Owner of the file (user name); unset: kept (root for a new file). */
  owner?: string;
  /** Group of the file; unset: kept. */
  group?: string;
  /** Command with `%s` (the new file) that must succeed before it replaces the old, e.g. `visudo -cf %s`. */
  validate?: string;
  /** Keep the old file as `<path>.<stamp>.bak` (same mode and owner: `cp -p`). @default false */
  backup?: boolean;
}

/** Which file a module edits in place (lineInFile, blockInFile); its params add `WriteOptions`. */
export interface EditedFileParams {
  /** The file (absolute path). */
  path: string;
  /** Create the file when missing (else it is an error). @default false */
  create?: boolean;
}

/** What an editing module reads first: the file's stat and its text (null: no such file). */
export interface EditedFile {
  stat: FileStat;
  content: string | null;
}

/** The facts of an editing module; a directory or device at `path` is refused, naming it. */
export async function readEditedFile(module: string, ctx: ModuleContext, path: string): Promise<EditedFile> {
  const stat = await statFile(ctx, path);
  if (stat.exists && stat.kind !== 'file') throw new ParamError(`${module}: ${path} is a ${stat.kind}, not a file`);
  return { stat, content: stat.exists ? await readFile(ctx, path) : null };
}

/** `validate` must name the file to check: `%s` exactly where it goes. */
export function checkValidate(module: string, v: string | undefined): void {
  if (v !== undefined && !v.includes('%s'))
    throw new ParamError(`${module}: "validate" must contain %s where the new file goes, e.g. 'visudo -cf %s'`);
}

/** The shell line (content on stdin). */
export function writeLine(path: string, o: WriteOptions = {}): string {
  const own =
    o.owner || o.group
      ? sh`chown ${(o.owner ?? '') + (o.group ? ':' + o.group : '')} "$t"`
      : sh`if [ -e ${path} ]; then chown --reference=${path} "$t"; fi`;
  const mode = o.mode ? sh`chmod ${o.mode} "$t"` : sh`if [ -e ${path} ]; then chmod --reference=${path} "$t"; else chmod 0644 "$t"; fi`;
  const lines = ['set -e', sh`t=$(mktemp ${path}.ucw.XXXXXX)`, raw(`trap 'rm -f "$t"' EXIT`).text, 'cat > "$t"', own, mode];
  if (o.validate) {
    // the user's command is a shell line of its own; only %s is ours, and it names the temp file
    const cmd = o.validate.split('%s').join('"$t"');
    lines.push(`if ! ( ${cmd} ) >&2; then echo ${sh`${`validate failed for ${path}: ${o.validate}`}`} >&2; exit 65; fi`);
  }
  if (o.backup) lines.push(sh`if [ -e ${path} ]; then cp -p -- ${path} ${path}.$(date +%Y%m%dT%H%M%S).bak; fi`);
  lines.push(sh`mv -f "$t" ${path}`, 'trap - EXIT');
  return lines.join('\n');
}

/** The step that writes `content` to `path` this way. */
export const writeStep = (path: string, content: string, o: WriteOptions = {}): Step => exec(writeLine(path, o), { stdin: content });

export interface FileState {
  exists: boolean;
  mode?: string;
  owner?: string;
  group?: string;
}

/**
 * Pure: the steps that take a file from `before` to `after` content (the validated atomic write),
 * or, with equal content, the chmod/chown that its mode and owner still need.
 */
export function fileChange(
  path: string,
  before: string | null,
  after: string,
  st: FileState,
  o: WriteOptions,
): { steps: Step[]; why: string[]; changesContent: boolean } {
  if (before !== after)
    return {
      steps: [writeStep(path, after, o)],
      why: [`${before === null ? 'create' : 'update'} ${path}${o.validate ? ' (validated)' : ''}`],
      changesContent: true,
    };
  const steps: Step[] = [];
  const why: string[] = [];
  if (o.mode && !(st.mode !== undefined && parseInt(st.mode, 8) === parseInt(o.mode, 8)))
    (steps.push(exec(sh`chmod ${o.mode} -- ${path}`)), why.push(`mode ${st.mode} → ${o.mode}`));
  if ((o.owner && o.owner !== st.owner) || (o.group && o.group !== st.group)) {
    steps.push(exec(sh`chown ${(o.owner ?? '') + (o.group ? ':' + o.group : '')} -- ${path}`));
    why.push(`owner → ${o.owner ?? st.owner}:${o.group ?? st.group}`);
  }
  return { steps, why, changesContent: false };
}

/** Files whose content is a credential (Ubuntu ESM/Pro tokens in apt's auth.conf.d): never shown in a diff. */
export const isSecretPath = (path: string) => /^\/etc\/apt\/auth\.conf(\.d\/.*)?$/.test(path);

/** The diff to show for `path`: the content itself, or for a secret file only that it changes. */
export const shownDiff = (path: string, before: string | null, after: string) =>
  isSecretPath(path)
    ? { path, before: before === null ? null : '(secret content)\n', after: '(secret content, changed)\n' }
    : { path, before, after };
