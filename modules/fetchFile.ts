/**
 * Copy a file from the host to the controller (a backup of a config, a dump, a log), checked
 * end to end: the host's SHA-256 is read first, the bytes come over base64, and the local file
 * is only put in place (atomically) when its SHA-256 matches. Idempotent: no transfer when
 * the local copy already has that checksum. Check mode: full.
 *
 * @example
 * fetchFile({ src: '/etc/ucware/ucware.php', dest: 'backups/{host}/ucware.php' }, { become: true })
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fetchVerified, sha256 } from './lib/fetch.ts';
import { defineModule, change, noop, type Plan, ParamError, TaskFailed, sh } from '../runner/module.ts';

export interface FetchFileParams {
  /** Absolute path on the host. */
  src: string;
  /** Path on the controller; `{host}` becomes the host's name. Relative paths are from the working directory. */
  dest: string;
  /** Mode of the local file. @default '0600' */
  mode?: string;
  /** A missing `src` fails the task; false: a no-op saying so. @default true */
  failIfMissing?: boolean;
}

export interface FetchFileResult {
  /** The local path written (absolute). */
  dest: string;
  /** SHA-256 of the file (hex); null when the source is missing. */
  sha256: string | null;
  /** Bytes. */
  size: number | null;
}

interface Facts {
  dest: string;
  remote: { sha256: string; size: number } | null;
  localSha256: string | null;
}

export const fetchFile = defineModule<FetchFileParams, Facts, FetchFileResult>({
  name: 'fetchFile',
  summary: (p) => `${p.src} → ${p.dest}`,
  validate: (p) => {
    if (!p.src?.startsWith('/'))
      throw new ParamError(`fetchFile: "src" must be an absolute path on the host, not ${JSON.stringify(p.src)}`);
    if (!p.dest) throw new ParamError('fetchFile: "dest" is empty');
    if (p.mode !== undefined && !/^0?[0-7]{3}$/.test(p.mode)) throw new ParamError(`fetchFile: "mode" must be octal like '0600'`);
  },
  facts: async (ctx, p) => {
    const dest = resolve(p.dest.replaceAll('{host}', ctx.host.name));
    const r = await ctx.run(
      sh`if [ -f ${p.src} ]; then sha256sum < ${p.src} | cut -d' ' -f1; stat -c %s -- ${p.src}; else echo missing; fi`,
      { quiet: true },
    );
    const [sum = '', size] = r.stdout.trim().split('\n');
    const remote = sum === 'missing' ? null : { sha256: sum, size: Number(size) };
    return { dest, remote, localSha256: existsSync(dest) ? sha256(readFileSync(dest)) : null };
  },
  plan,
  apply: async (ctx, p, f) => {
    const got = await fetchVerified(ctx, p.src, f.dest, f.remote!.sha256, p.mode ?? '0600');
    return { result: { dest: f.dest, sha256: got.sha256, size: got.size } };
  },
});

/** Pure: same checksum → nothing; missing source → fail or no-op; else fetch. */
export function plan(p: FetchFileParams, f: Facts): Plan<FetchFileResult> {
  if (!f.remote) {
    if (p.failIfMissing ?? true) throw new TaskFailed(`fetchFile: ${p.src} does not exist on the host`);
    return noop(`${p.src} does not exist on the host`, { dest: f.dest, sha256: null, size: null });
  }
  const result = { dest: f.dest, sha256: f.remote.sha256, size: f.remote.size };
  if (f.localSha256 === f.remote.sha256)
    return noop(`${f.dest} already has this content (SHA-256 ${f.remote.sha256.slice(0, 12)}…)`, result);
  return change(`fetch ${p.src} → ${f.dest} (${f.remote.size} bytes${f.localSha256 ? ', replacing a different copy' : ''})`, {
    steps: [],
    result,
  });
}
