/**
 * Download, ahead of a maintenance window, every package a later `apt-get dist-upgrade` will
 * install (`apt-get --download-only`, each file's hash checked afterwards), so the window itself
 * downloads nothing. Nothing is installed, and the host's sources are not touched: only the
 * package lists are refreshed (`update`, reported) and apt's cache filled.
 *
 * `next` resolves a later phase too, whose sources differ (ucware.list switched from ucware-4.5 to
 * ucware-5): a copy of the host's sources with that edit, with its own lists and cache
 * directories (`Dir::Etc::SourceList`, `Dir::Etc::SourceParts`, `Dir::State::Lists`,
 * `Dir::Cache::Archives` under `dir`), resolved against the packages installed now. Its
 * downloads are copied into apt's cache; its lists stay in `dir/next/lists` for the window to
 * seed after the switch (`cp -n` into /var/lib/apt/lists), so the switch needs no `apt-get update`.
 *
 * Before downloading, the bytes to fetch (`--print-uris`) are checked against the free space of
 * /var/cache/apt/archives (and `dir`), keeping `reserveMb`; not enough is a failure that
 * downloads nothing. Any failure removes this run's partial downloads and `dir/next`.
 * At most `concurrency` hosts of a run download at once (a site's uplink is not flooded).
 * Check mode: plan only — the bytes the current lists would fetch.
 *
 * @example
 * aptPrefetch({ update: true, next: { listFile: '/etc/apt/sources.list.d/ucware.list', from: 'ucware-4.5', to: 'ucware-5' } }, { become: true })
 */
import { defineModule, change, noop, sh, ParamError, TaskFailed, type ModuleContext, type Plan } from '../runner/module.ts';
import { envPrefix, LISTS_STAMP_COMMAND } from './facts/apt.ts';
import { aptRun } from './lib/aptRun.ts';

export interface AptPrefetchParams {
  /** Refresh the package lists first (`apt-get update`), as the upgrade would. @default true */
  update?: boolean;
  /** The upgrade to prefetch for: `full` (dist-upgrade) or `safe` (upgrade --with-new-pkgs). @default 'full' */
  mode?: 'full' | 'safe';
  /** A later phase with changed sources: `from` replaced by `to` in the deb lines of `listFile`. */
  next?: { listFile: string; from: string; to: string };
  /** MiB that must stay free on /var/cache/apt/archives after the download. @default 100 */
  reserveMb?: number;
  /** Hosts of this run downloading at once. @default 4 */
  concurrency?: number;
  /** Where the `next` phase's sources, lists and downloads live. @default '/var/cache/ucw-prefetch' */
  dir?: string;
  /** Wait for a held apt lock this long (seconds). @default 300 */
  lockWaitSec?: number;
}

/** One file apt would fetch, from `--print-uris`. */
export interface PrefetchUri {
  uri: string;
  file: string;
  size: number;
  /** `SHA256:…` (or the strongest hash the index has). */
  hash: string;
}

export interface PhaseFetch {
  packages: number;
  bytes: number;
}

export interface AptPrefetchResult {
  /** Bytes downloaded by this task (both phases). */
  prefetchedBytes: number;
  listsRefreshed: boolean;
  ubuntu: PhaseFetch;
  next?: PhaseFetch & { lists: string };
}

interface Facts {
  uris: PrefetchUri[];
  freeMb: number;
}

const ARCHIVES = '/var/cache/apt/archives';
const APT = (args: string[]) => envPrefix() + sh`apt-get ${args}` + ' </dev/null';
const upgradeVerb = (p: AptPrefetchParams) => (p.mode === 'safe' ? ['upgrade', '--with-new-pkgs'] : ['dist-upgrade']);
const printUris = (p: AptPrefetchParams, o: string[] = []) =>
  APT([...o, '-qq', '-y', '--print-uris', '-o', 'Debug::NoLocking=1', ...upgradeVerb(p)]);
const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;

export const aptPrefetch = defineModule<AptPrefetchParams, Facts, AptPrefetchResult>({
  name: 'aptPrefetch',
  summary: (p) => `download for ${p.mode ?? 'full'}-upgrade${p.next ? ` and ${p.next.to}` : ''}`,
  validate: (p) => {
    if (p.mode !== undefined && !['full', 'safe'].includes(p.mode))
      throw new ParamError(`aptPrefetch: "mode" must be full or safe, not ${JSON.stringify(p.mode)}`);
    if (p.next && !(p.next.listFile.startsWith('/etc/apt/sources.list.d/') || p.next.listFile === '/etc/apt/sources.list'))
      throw new ParamError(
        `aptPrefetch: next.listFile must be /etc/apt/sources.list or in /etc/apt/sources.list.d/, not ${p.next.listFile}`,
      );
    if (p.next && (!p.next.from || p.next.from === p.next.to))
      throw new ParamError('aptPrefetch: next.from must be set and differ from next.to');
    for (const k of ['reserveMb', 'lockWaitSec', 'concurrency'] as const)
      if (p[k] !== undefined && !(Number.isInteger(p[k]) && p[k]! >= (k === 'concurrency' ? 1 : 0)))
        throw new ParamError(`aptPrefetch: "${k}" must be a whole number${k === 'concurrency' ? ' ≥ 1' : ' ≥ 0'}`);
  },
  facts: async (ctx, p) => {
    const r = await ctx.run(printUris(p), { quiet: true });
    return { uris: parseUris(r.stdout), freeMb: await freeMb(ctx, ARCHIVES) };
  },
  plan,
  apply: (ctx, p, f) => withSlot(p.concurrency ?? 4, () => prefetch(ctx, p, f)),
});

/** Pure: what would be downloaded from the current lists, or NO-GO when it cannot fit. */
export function plan(p: AptPrefetchParams, f: Facts): Plan<AptPrefetchResult> {
  const bytes = sum(f.uris);
  const reserve = p.reserveMb ?? 100;
  if (bytes / 2 ** 20 + reserve > f.freeMb) throw new TaskFailed(noSpace(f.freeMb, bytes, reserve));
  const result: AptPrefetchResult = { prefetchedBytes: 0, listsRefreshed: false, ubuntu: { packages: f.uris.length, bytes } };
  const update = p.update ?? true;
  if (!update && !p.next && f.uris.length === 0)
    return noop("nothing to prefetch: every package the upgrade needs is in apt's cache", result);
  const parts = [
    update && 'refresh the package lists',
    `download ${f.uris.length} package(s), ${mb(bytes)}${update ? ' (from the lists before the refresh)' : ''}`,
    p.next && `resolve ${p.next.to} ahead in its own lists and cache and download its packages`,
  ].filter(Boolean);
  return change(parts.join('; '), { steps: [], result });
}

async function prefetch(ctx: ModuleContext, p: AptPrefetchParams, f: Facts) {
  const lockWaitMs = (p.lockWaitSec ?? 300) * 1000;
  const reserve = p.reserveMb ?? 100;
  const dir = p.dir ?? '/var/cache/ucw-prefetch';
  const listsRefreshed = p.update ?? true;
  try {
    if (listsRefreshed) {
      await ctx.runStep(aptRun(APT(['-q', '-o', 'APT::Update::Error-Mode=any', 'update']), lockWaitMs));
      await ctx.run(LISTS_STAMP_COMMAND, { quiet: true });
    }
    const uris = listsRefreshed ? parseUris((await ctx.run(printUris(p), { quiet: true })).stdout) : f.uris;
    let nextUris: PrefetchUri[] = [];
    let nextOpts: string[] = [];
    if (p.next) {
      nextOpts = nextApt(`${dir}/next`);
      await ctx.run(nextSources(`${dir}/next`, p.next), { quiet: true });
      await ctx.runStep(aptRun(APT([...nextOpts, '-q', '-o', 'APT::Update::Error-Mode=any', 'update']), lockWaitMs));
      await linkCached(ctx, `${dir}/next/archives`);
      // what the first phase brings need not be fetched twice
      const have = new Set(uris.map((u) => u.file));
      nextUris = parseUris((await ctx.run(printUris(p, nextOpts), { quiet: true })).stdout).filter((u) => !have.has(u.file));
    }
    const bytes = sum(uris) + sum(nextUris);
    const free = await freeMb(ctx, ARCHIVES);
    if (bytes / 2 ** 20 + reserve > free) throw new TaskFailed(noSpace(free, bytes, reserve));
    if (uris.length) {
      ctx.output(`downloading ${uris.length} package(s), ${mb(sum(uris))}`);
      await ctx.runStep(aptRun(APT(['-q', '-y', '--download-only', ...upgradeVerb(p)]), lockWaitMs));
      await verify(ctx, uris, ARCHIVES);
    }
    if (p.next) {
      if (nextUris.length) {
        await linkCached(ctx, `${dir}/next/archives`);
        ctx.output(`downloading ${nextUris.length} package(s) for ${p.next.to}, ${mb(sum(nextUris))}`);
        await ctx.runStep(aptRun(APT([...nextOpts, '-q', '-y', '--download-only', ...upgradeVerb(p)]), lockWaitMs));
        await verify(ctx, nextUris, `${dir}/next/archives`);
        await ctx.run(sh`cp -n -- ${nextUris.map((u) => `${dir}/next/archives/${u.file}`)} ${ARCHIVES}/`, { quiet: true });
      }
    }
    const result: AptPrefetchResult = {
      prefetchedBytes: bytes,
      listsRefreshed,
      ubuntu: { packages: uris.length, bytes: sum(uris) },
      ...(p.next ? { next: { packages: nextUris.length, bytes: sum(nextUris), lists: `${dir}/next/lists` } } : {}),
    };
    const reason = `${listsRefreshed ? 'lists refreshed; ' : ''}prefetched ${uris.length + nextUris.length} package(s), ${mb(bytes)}, hashes verified${p.next ? ` (${p.next.to}: ${nextUris.length}, ${mb(sum(nextUris))})` : ''}`;
    return { changed: true, reason, result };
  } catch (e) {
    // a failed prefetch leaves no partial downloads and no second source set behind
    await ctx.run(sh`rm -rf -- ${dir}/next` + ` ${ARCHIVES}/partial/*`, { quiet: true, okExitCodes: 'any' }).catch(() => undefined);
    throw e;
  }
}

/** The files apt's cache already holds (fetched and checked before) go into `to` as links, so apt does not fetch them again. */
const linkCached = (ctx: ModuleContext, to: string) =>
  ctx.run(
    `for f in ${ARCHIVES}/*.deb; do [ -f "$f" ] && { ln -f -- "$f" ${sh`${to}/`} 2>/dev/null || cp -p -- "$f" ${sh`${to}/`}; }; done; true`,
    { quiet: true },
  );

/** apt options that point every list and cache directory at `d`, leaving the host's own alone. */
export const nextApt = (d: string) => [
  '-o',
  `Dir::Etc::SourceList=${d}/etc/sources.list`,
  '-o',
  `Dir::Etc::SourceParts=${d}/etc/sources.list.d`,
  '-o',
  `Dir::State::Lists=${d}/lists`,
  '-o',
  `Dir::Cache::Archives=${d}/archives`,
  '-o',
  'Dir::Cache::pkgcache=',
  '-o',
  'Dir::Cache::srcpkgcache=',
];

/** A copy of the host's sources in `d/etc`, `from` replaced by `to` in the deb lines of `listFile`; fails when nothing was replaced. */
export function nextSources(d: string, n: NonNullable<AptPrefetchParams['next']>): string {
  const copy = n.listFile === '/etc/apt/sources.list' ? `${d}/etc/sources.list` : `${d}/etc/sources.list.d/${n.listFile.split('/').pop()}`;
  const re = n.from.replace(/[.[\]*^$\\/#&]/g, '\\$&');
  const to = n.to.replace(/[\\/#&]/g, '\\$&');
  return (
    sh`rm -rf -- ${d} && mkdir -p -m 0755 ${d}/etc/sources.list.d ${d}/lists/partial ${d}/archives/partial && ` +
    sh`{ cat /etc/apt/sources.list 2>/dev/null || :; } > ${d}/etc/sources.list && ` +
    sh`for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do [ -f "$f" ] && cp -- "$f" ${d}/etc/sources.list.d/; done; ` +
    sh`sed -i -e ${`/^[[:space:]]*\\(deb\\|URIs:\\)/s#${re}#${to}#g`} -- ${copy} && grep -q -F -- ${n.to} ${copy}`
  );
}

/** `'URI' FILE SIZE HASH` lines of `apt-get --print-uris`. */
export function parseUris(out: string): PrefetchUri[] {
  const res: PrefetchUri[] = [];
  for (const l of out.split('\n')) {
    const m = /^'([^']+)'\s+(\S+)\s+(\d+)\s*(\S*)/.exec(l);
    if (m && m[2]!.endsWith('.deb')) res.push({ uri: m[1]!, file: m[2]!, size: Number(m[3]), hash: m[4] ?? '' });
  }
  return res;
}

const HASH_TOOL: Record<string, string> = { SHA512: 'sha512sum', SHA256: 'sha256sum', SHA1: 'sha1sum', MD5Sum: 'md5sum', MD5: 'md5sum' };

/** Each downloaded file checked against the hash of the package index (apt checked it too; this proves it is still there, whole). */
async function verify(ctx: ModuleContext, uris: PrefetchUri[], dir: string): Promise<void> {
  const byTool = new Map<string, string[]>();
  for (const u of uris) {
    const [alg, hex] = u.hash.split(':');
    const tool = HASH_TOOL[alg ?? ''];
    if (!tool || !hex)
      throw new TaskFailed(`aptPrefetch on ${ctx.host.name}: no usable hash for ${u.file} in the index (${u.hash || 'none'})`);
    byTool.set(tool, [...(byTool.get(tool) ?? []), `${hex}  ${dir}/${u.file}`]);
  }
  for (const [tool, lines] of byTool) {
    const r = await ctx.run(sh`${tool} -c --quiet -`, { stdin: lines.join('\n') + '\n', quiet: true, okExitCodes: 'any' });
    if (r.exitCode !== 0)
      throw new TaskFailed(
        `aptPrefetch on ${ctx.host.name}: downloaded files fail their hash check (${tool} exit ${r.exitCode}): ${(r.stdout + r.stderr).trim().split('\n').slice(-3).join(' | ')}`,
      );
  }
}

async function freeMb(ctx: ModuleContext, path: string): Promise<number> {
  const out = (await ctx.run(sh`df -Pk -- ${path}`, { quiet: true })).stdout.trim().split('\n').at(-1) ?? '';
  const kb = Number(out.split(/\s+/)[3]);
  if (!Number.isFinite(kb)) throw new TaskFailed(`aptPrefetch on ${ctx.host.name}: cannot read the free space of ${path} (df: ${out})`);
  return kb / 1024;
}

const noSpace = (freeMb: number, bytes: number, reserve: number) =>
  `not enough space to prefetch: ${Math.floor(freeMb)} MiB free on ${ARCHIVES}, the packages need ${(bytes / 2 ** 20).toFixed(1)} MiB plus ${reserve} MiB kept free; nothing downloaded`;

const sum = (u: PrefetchUri[]) => u.reduce((s, x) => s + x.size, 0);

// One queue per run: at most `limit` hosts download at once.
let active = 0;
const waiting: (() => void)[] = [];
async function withSlot<T>(limit: number, f: () => Promise<T>): Promise<T> {
  while (active >= limit) await new Promise<void>((r) => waiting.push(r));
  active++;
  try {
    return await f();
  } finally {
    active--;
    waiting.shift()?.();
  }
}
