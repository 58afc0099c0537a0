/**
 * Unpack a tar (any compression GNU tar detects) or zip archive that is on the host into an
 * existing directory. Idempotent by the archive's listing: nothing happens while every entry
 * already exists under `dest` (or, with `creates`, while that path exists). A zip is read with
 * `unzip` or, where it is missing (minimal servers), python3's zipfile. `owner`/`group` are set
 * on what was unpacked. Check mode: full. Diff: the entries that would appear.
 *
 * @example
 * unarchive({ src: '/root/ucw-tools-1.4.tar.gz', dest: '/opt/ucw-tools', owner: 'root' }, { become: true })
 * unarchive({ src: '/root/sounds-de.zip', dest: '/usr/share/asterisk/sounds', creates: '/usr/share/asterisk/sounds/de' }, { become: true })
 */
import { defineModule, change, noop, exec, ParamError, sh, type Plan } from '../runner/module.ts';
import { statFile } from './facts/files.ts';

export interface UnarchiveParams {
  /** The archive on the host: .tar, .tar.gz/.tgz, .tar.xz, .tar.bz2, .tar.zst, .zip. */
  src: string;
  /** Existing directory to unpack into. */
  dest: string;
  /** Skip when this path exists (instead of comparing the listing). */
  creates?: string;
  /** Owner (and `group`) for the unpacked entries (`chown -R` over them). */
  owner?: string;
  /** Group for the unpacked entries. */
  group?: string;
}

export interface UnarchiveFacts {
  /** `creates` exists. */
  created: boolean;
  /** Entries of the archive (none when `created`). */
  entries: string[];
  /** Entries not under `dest` yet. */
  missing: string[];
  /** For zips: `unzip` is there (else python3). */
  unzip: boolean;
}

const isZip = (src: string) => /\.zip$/i.test(src);
const PY_LIST = "import sys,zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))";

export const unarchive = defineModule<UnarchiveParams, UnarchiveFacts>({
  name: 'unarchive',
  summary: (p) => `${p.src} → ${p.dest}`,
  validate: (p) => {
    for (const k of ['src', 'dest'] as const)
      if (!p[k]?.startsWith('/')) throw new ParamError(`unarchive: "${k}" must be an absolute path`);
    if (!/\.(zip|tar|tgz|tar\.(gz|xz|bz2|zst))$/i.test(p.src))
      throw new ParamError(`unarchive: ${p.src}: not a .tar(.gz/.xz/.bz2/.zst), .tgz or .zip`);
  },
  facts: async (ctx, p) => {
    const dest = await statFile(ctx, p.dest);
    if (dest.kind !== 'directory') throw new ParamError(`unarchive: ${p.dest} on ${ctx.host.name} is not a directory`);
    const unzip = isZip(p.src) && (await ctx.run('command -v unzip', { quiet: true, okExitCodes: [0, 1, 127] })).exitCode === 0;
    if (p.creates && (await ctx.run(sh`test -e ${p.creates}`, { quiet: true, okExitCodes: [0, 1] })).exitCode === 0)
      return { created: true, entries: [], missing: [], unzip };
    const list = isZip(p.src) ? (unzip ? sh`unzip -Z1 ${p.src}` : sh`python3 -c ${PY_LIST} ${p.src}`) : sh`tar -tf ${p.src}`;
    const entries = parseListing((await ctx.run(list, { quiet: true })).stdout);
    const r = await ctx.run(sh`cd ${p.dest} && while IFS= read -r n; do [ -e "$n" ] || [ -L "$n" ] || printf '%s\\n' "$n"; done`, {
      quiet: true,
      stdin: entries.join('\n') + '\n',
    });
    return { created: false, entries, missing: parseListing(r.stdout), unzip };
  },
  plan,
});

/** One entry per line (tar -t, unzip -Z1, zipfile), `./` prefixes and the bare `./` dropped. */
export const parseListing = (out: string) =>
  out
    .split('\n')
    .map((l) => l.replace(/^\.\//, ''))
    .filter((l) => l !== '' && l !== '.');

/** Pure: the missing entries → the extract (and chown) line. */
export function plan(p: UnarchiveParams, f: UnarchiveFacts): Plan {
  if (f.created) return noop(`${p.creates} exists`);
  if (!f.missing.length) return noop(`all ${f.entries.length} entries of ${p.src} are in ${p.dest}`);
  const extract = isZip(p.src)
    ? f.unzip
      ? sh`unzip -o -q ${p.src} -d ${p.dest}`
      : sh`python3 -m zipfile -e ${p.src} ${p.dest}`
    : sh`tar -xf ${p.src} -C ${p.dest} --no-same-owner`;
  const top = [...new Set(f.entries.map((e) => e.split('/')[0]!))];
  const own = p.owner || p.group ? [exec(sh`cd ${p.dest} && chown -R ${(p.owner ?? '') + (p.group ? ':' + p.group : '')} -- ${top}`)] : [];
  return change(`unpack ${p.src} into ${p.dest} (${f.missing.length} of ${f.entries.length} entries missing)`, {
    steps: [exec(extract), ...own],
    diff: [{ path: p.dest, before: null, after: f.missing.map((m) => m + '\n').join('') }],
  });
}
