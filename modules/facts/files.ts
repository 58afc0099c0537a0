/** File facts shared by modules: a command to run and a pure parser for what it prints. */
import { sh, type ModuleContext } from '../../runner/module.ts';

export interface FileStat {
  exists: boolean;
  kind?: 'file' | 'directory' | 'symlink' | 'other';
  /** Octal permission bits, e.g. `644`. */
  mode?: string;
  owner?: string;
  group?: string;
  size?: number;
}

export const statCommand = (path: string) => sh`stat -c '%F|%a|%U|%G|%s' -- ${path} 2>/dev/null || echo missing`;

export function parseStat(out: string): FileStat {
  const line = out.trim();
  if (line === 'missing' || line === '') return { exists: false };
  const [type = '', mode, owner, group, size] = line.split('|');
  const kind = type.includes('directory')
    ? 'directory'
    : type.includes('symbolic link')
      ? 'symlink'
      : type.includes('regular')
        ? 'file'
        : 'other';
  return { exists: true, kind, mode, owner, group, size: Number(size) };
}

export async function statFile(ctx: ModuleContext, path: string): Promise<FileStat> {
  return parseStat((await ctx.run(statCommand(path), { quiet: true })).stdout);
}

/**
 * The file's content, or null when it does not exist. Read as secret output: a config file
 * can hold a password or a licence, so its content never lands in a log (a diff shows it,
 * with --diff only).
 */
export async function readFile(ctx: ModuleContext, path: string): Promise<string | null> {
  const r = await ctx.run(sh`if [ -f ${path} ]; then cat -- ${path}; else exit 3; fi`, { okExitCodes: [0, 3], secret: true });
  return r.exitCode === 3 ? null : r.stdout;
}

/** SHA-256 (hex) of the file, or null when it does not exist: compares without reading it over. */
export async function fileSha256(ctx: ModuleContext, path: string): Promise<string | null> {
  const r = await ctx.run(sh`if [ -f ${path} ]; then sha256sum < ${path} | cut -d' ' -f1; else exit 3; fi`, {
    okExitCodes: [0, 3],
    quiet: true,
  });
  return r.exitCode === 3 ? null : r.stdout.trim();
}

/** `644` and `0644` and `"0644"` are the same mode. */
export const sameMode = (a: string | undefined, b: string | undefined) =>
  a !== undefined && b !== undefined && parseInt(a, 8) === parseInt(b, 8);
