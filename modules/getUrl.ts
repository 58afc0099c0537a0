/**
 * Download a file on the host (curl) to `dest`, checked against a required SHA-256/512 checksum
 * before it replaces anything: the download goes to a temp file beside `dest`, the sum is
 * verified, owner and mode are set, then it is renamed over `dest` (atomic; a wrong sum leaves
 * the old file). The URL and headers reach curl as a config on stdin (`curl -K -`), so header
 * values may be secrets and never show in argv. Idempotent: no download when `dest` already has
 * the checksum. TLS is verified (system CAs, or `caFile` on the host). Check mode: full.
 *
 * @example
 * getUrl({ url: 'https://downloads.example.com/agent_2.1_amd64.deb', dest: '/root/agent_2.1_amd64.deb', checksum: 'sha256:9f86d081884c7d65…' }, { become: true })
 * getUrl({ url: 'https://repo.example.com/key.gpg', dest: '/etc/apt/keyrings/example.gpg', checksum: 'sha256:…', mode: '0644', headers: { authorization: secret(`Bearer ${token}`) } }, { become: true })
 */
import { defineModule, change, noop, exec, ParamError, Secret, registerSecret, sh, type Plan } from '../runner/module.ts';
import { statFile, sameMode, type FileStat } from './facts/files.ts';

export interface GetUrlParams {
  /** http:// or https:// URL. */
  url: string;
  /** Absolute path of the file on the host; its directory must exist. */
  dest: string;
  /** Required: `sha256:<hex>` or `sha512:<hex>`. */
  checksum: string;
  /** Octal mode. @default '0644' */
  mode?: string;
  /** Owner of the file; unset: the connecting (or become) user. */
  owner?: string;
  /** Group of the file. */
  group?: string;
  /** Request headers; values may be secrets. */
  headers?: Record<string, string | Secret>;
  /** CA certificate (PEM) on the host to verify the server with. */
  caFile?: string;
  /** Whole download. @default 300 */
  timeoutSec?: number;
}

export interface GetUrlFacts {
  stat: FileStat;
  /** Hex digest of `dest` with the checksum's algorithm (null: no file). */
  sum: string | null;
}

const algoOf = (c: string) => c.split(':')[0] as 'sha256' | 'sha512';
const hexOf = (c: string) => c.slice(c.indexOf(':') + 1).toLowerCase();

export const getUrl = defineModule<GetUrlParams, GetUrlFacts>({
  name: 'getUrl',
  summary: (p) => `${p.url} → ${p.dest}`,
  validate: (p) => {
    if (!/^https?:\/\//.test(p.url ?? '')) throw new ParamError(`getUrl: "url" must be http(s), not ${JSON.stringify(p.url)}`);
    if (!p.dest?.startsWith('/') || p.dest.endsWith('/')) throw new ParamError('getUrl: "dest" must be an absolute file path');
    if (!/^(sha256:[0-9a-fA-F]{64}|sha512:[0-9a-fA-F]{128})$/.test(p.checksum ?? ''))
      throw new ParamError('getUrl: "checksum" is required: sha256:<64 hex> or sha512:<128 hex>');
    if (p.mode !== undefined && !/^0?[0-7]{3,4}$/.test(p.mode)) throw new ParamError('getUrl: "mode" must be octal like 0644');
    for (const [k, v] of Object.entries(p.headers ?? {}))
      if (/[\r\n:]/.test(k) || /[\r\n]/.test(v instanceof Secret ? v.reveal() : v))
        throw new ParamError(`getUrl: header ${JSON.stringify(k)} is not one line`);
  },
  facts: async (ctx, p) => {
    for (const v of Object.values(p.headers ?? {})) if (v instanceof Secret) registerSecret(v.reveal());
    const stat = await statFile(ctx, p.dest);
    if (!stat.exists || stat.kind !== 'file') return { stat, sum: null };
    const r = await ctx.run(sh`${`${algoOf(p.checksum)}sum`} -- ${p.dest}`, { quiet: true });
    return { stat, sum: r.stdout.split(/\s/)[0]!.toLowerCase() };
  },
  plan,
});

/** curl's config syntax: `key = "value"` with `\` and `"` escaped. */
const curlString = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The config curl reads on stdin: the URL and headers (secrets revealed here only). */
export function curlConfig(p: Pick<GetUrlParams, 'url' | 'headers'>): string {
  const lines = [`url = ${curlString(p.url)}`];
  for (const [k, v] of Object.entries(p.headers ?? {})) {
    const value = v instanceof Secret ? v.reveal() : v;
    lines.push(`header = ${curlString(`${k}: ${value}`)}`);
  }
  return lines.join('\n') + '\n';
}

/** Pure: the file's digest → nothing, a chmod/chown, or the verified download. */
export function plan(p: GetUrlParams, f: GetUrlFacts): Plan {
  const want = hexOf(p.checksum);
  if (f.stat.exists && f.stat.kind !== 'file') throw new ParamError(`getUrl: ${p.dest} is a ${f.stat.kind}, not a file`);
  const mode = p.mode ?? '0644';
  if (f.sum === want) {
    const fix = [
      ...(!sameMode(mode, f.stat.mode) ? [exec(sh`chmod ${mode} -- ${p.dest}`)] : []),
      ...((p.owner && p.owner !== f.stat.owner) || (p.group && p.group !== f.stat.group)
        ? [exec(sh`chown ${(p.owner ?? '') + (p.group ? ':' + p.group : '')} -- ${p.dest}`)]
        : []),
    ];
    if (!fix.length) return noop(`${p.dest} already has ${algoOf(p.checksum)} ${want.slice(0, 12)}…`);
    return change(`${p.dest}: mode/owner`, { steps: fix });
  }
  const algo = algoOf(p.checksum);
  const line = [
    'set -e',
    sh`t=$(mktemp ${p.dest}.ucw.XXXXXX)`,
    `trap 'rm -f "$t"' EXIT`,
    sh`curl -fsS -L --max-redirs 5 --proto =http,https --max-time ${p.timeoutSec ?? 300} ${p.caFile ? ['--cacert', p.caFile] : []} -K - -o "$t"`,
    sh`got=$(${`${algo}sum`} < "$t" | cut -d' ' -f1)`,
    sh`if [ "$got" != ${want} ]; then echo ${`getUrl: ${p.url}: ${algo} is`} "$got," ${`not ${want}`} >&2; exit 66; fi`,
    ...(p.owner || p.group ? [sh`chown ${(p.owner ?? '') + (p.group ? ':' + p.group : '')} "$t"`] : []),
    sh`chmod ${mode} "$t"`,
    sh`mv -f "$t" ${p.dest}`,
    'trap - EXIT',
  ].join('\n');
  return change(`${f.sum === null ? 'download' : 're-download (checksum differs)'} ${p.url} → ${p.dest}`, {
    steps: [exec(line, { stdin: curlConfig(p) })],
    diff: [{ path: p.dest, before: f.sum === null ? null : `(${algo} ${f.sum})\n`, after: `(${algo} ${want})\n` }],
  });
}
