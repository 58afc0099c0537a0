/**
 * Install, upgrade, remove or purge named packages (optionally pinned: `name=version`) or local
 * `.deb` files, through the same non-interactive apt path as `aptUpgrade`: no questions
 * (DEBIAN_FRONTEND=noninteractive, modified conffiles kept), `DPkg::Lock::Timeout` plus our own
 * wait-and-retry naming the lock holder, the install itself detached on the host so a dropped
 * link does not kill dpkg half-way. Recommends are not installed unless asked.
 *
 * Idempotent: dpkg's status decides what is missing, and `apt-get -s` on the current lists is
 * the plan (so `latest` and pins change only when apt would move something). A package held
 * with `apt-mark hold` is left alone and reported by name (`allowChangeHeld` to move it anyway).
 * `update` refreshes the lists first, skipped while they are younger than `cacheValidTimeSec`.
 * Check mode: full. Diff: the package versions before and after.
 *
 * @example
 * aptPackages({ names: ['chrony', 'unattended-upgrades'], update: true, cacheValidTimeSec: 3600 }, { become: true })
 * aptPackages({ names: ['ucware-firmware-yealink=1.0.0'], allowDowngrade: true }, { become: true })
 * aptPackages({ names: ['telnet'], present: false, purge: true }, { become: true })
 * aptPackages({ debs: ['/root/ucware-tools_1.2_all.deb'] }, { become: true })
 */
import {
  defineModule,
  change,
  noop,
  exec,
  ParamError,
  TaskFailed,
  sh,
  type Plan,
  type Step,
  type ModuleContext,
} from '../runner/module.ts';
import {
  dpkgQueryCommand,
  LISTS_AGE_COMMAND,
  movesDiff,
  LISTS_STAMP_COMMAND,
  parseListsAge,
  noninteractiveApt,
  parseAptSimulation,
  parseDpkgQuery,
  type InstalledPackage,
  type PackageMove,
} from './facts/apt.ts';
import { aptRun } from './lib/aptRun.ts';

export interface AptPackagesParams {
  /** Package names, optionally pinned to a version (`nginx=1.22.1-9`) or an architecture (`libc6:i386`). */
  names?: string[];
  /** Local `.deb` files on the host (absolute paths); apt resolves their dependencies. */
  debs?: string[];
  /** Whether the packages should be installed. @default true */
  present?: boolean;
  /** With `present: false`: purge (remove conffiles too); also purges packages left in state `rc`. @default false */
  purge?: boolean;
  /** Upgrade the named (unpinned) packages to the candidate version when one is newer. @default false */
  latest?: boolean;
  /** Install recommended packages too (apt's default; off keeps servers lean). @default false */
  installRecommends?: boolean;
  /** Allow a pin to go to a lower version than installed. @default false */
  allowDowngrade?: boolean;
  /** Move packages held with `apt-mark hold` too. @default false */
  allowChangeHeld?: boolean;
  /** Remove packages no longer needed (`--auto-remove`). @default false */
  autoremove?: boolean;
  /** Run `apt-get update` first. @default false */
  update?: boolean;
  /** With `update`: skip it while the lists are younger than this. @default 0 (always) */
  cacheValidTimeSec?: number;
  /** apt's own, silent wait for the dpkg lock (`DPkg::Lock::Timeout`, apt ≥ 1.9.11). @default 0: the runner waits instead (`lockWaitSec`), saying who holds the lock */
  lockTimeoutSec?: number;
  /** Our wait-and-retry while a lock is still held. @default 300 */
  lockWaitSec?: number;
}

export interface AptPackagesResult {
  /** What moved (or, in check mode, would). */
  moved: PackageMove[];
  /** Requested packages left alone because they are held. */
  held: string[];
  updated: boolean;
  /** Age of the lists before this task, seconds (null: never updated). */
  cacheAgeSec: number | null;
}

export interface DebFile {
  path: string;
  name: string;
  version: string;
}

export interface AptPackagesFacts {
  installed: Record<string, InstalledPackage>;
  held: string[];
  debs: DebFile[];
  cacheAgeSec: number | null;
  /** `apt-get -s` of the wanted operation (absent when there is nothing to ask apt). */
  simulation?: { moves: PackageMove[]; error?: string };
}

const NAME = /^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?(=[A-Za-z0-9.+:~-]+)?$/;

const nameOf = (spec: string) => spec.split('=')[0]!.split(':')[0]!;
const pinOf = (spec: string) => (spec.includes('=') ? spec.slice(spec.indexOf('=') + 1) : undefined);

export const aptPackages = defineModule<AptPackagesParams, AptPackagesFacts, AptPackagesResult>({
  name: 'aptPackages',
  summary: (p) =>
    `${p.present === false ? (p.purge ? 'purge' : 'remove') : p.latest ? 'latest' : 'install'} ${[...(p.names ?? []), ...(p.debs ?? [])].join(' ')}`,
  validate,
  facts: async (ctx, p) => {
    const debs = await debFiles(ctx, p.debs ?? []);
    const names = [...(p.names ?? []).map(nameOf), ...debs.map((d) => d.name)];
    const installed = parseDpkgQuery((await ctx.run(dpkgQueryCommand(names), { quiet: true, okExitCodes: [0, 1] })).stdout);
    const held = parseHolds((await ctx.run('apt-mark showhold', { quiet: true })).stdout);
    const age = await ctx.run(LISTS_AGE_COMMAND, { quiet: true });
    const cacheAgeSec = parseListsAge(age.stdout);
    const base: AptPackagesFacts = { installed, held, debs, cacheAgeSec };
    const want = wanted(p, base);
    if (want.targets.length === 0) return base;
    const sim = await ctx.run(noninteractiveApt(aptArgs(p, want.targets, true)) + ' 2>&1', { quiet: true, okExitCodes: 'any' });
    return {
      ...base,
      simulation: { moves: parseAptSimulation(sim.stdout), error: sim.exitCode === 0 ? undefined : errorLines(sim.stdout) },
    };
  },
  plan,
  apply: async (ctx, p, f, pl) => {
    for (const step of pl.steps) await ctx.runStep(step);
    const now = parseDpkgQuery(
      (
        await ctx.run(
          dpkgQueryCommand(wanted(p, f).targets.map((t) => (t.startsWith('/') ? f.debs.find((d) => d.path === t)!.name : nameOf(t)))),
          { quiet: true, okExitCodes: [0, 1] },
        )
      ).stdout,
    );
    const wrong = missed(p, f, now);
    if (wrong.length) return { failed: `aptPackages on ${ctx.host.name}: not as wanted after apt ran: ${wrong.join(', ')}` };
    return { result: { ...(pl.result as AptPackagesResult), updated: needsUpdate(p, f) } };
  },
});

function validate(p: AptPackagesParams): void {
  if (!p.names?.length && !p.debs?.length) throw new ParamError('aptPackages: give "names" or "debs"');
  for (const n of p.names ?? [])
    if (!NAME.test(n)) throw new ParamError(`aptPackages: ${JSON.stringify(n)} is not a package name (name, name=version, name:arch)`);
  for (const d of p.debs ?? [])
    if (!d.startsWith('/') || !d.endsWith('.deb'))
      throw new ParamError(`aptPackages: "debs" are absolute paths to .deb files, not ${JSON.stringify(d)}`);
  if (p.present === false && p.debs?.length) throw new ParamError('aptPackages: "debs" only install; remove by name');
  if (p.purge && p.present !== false) throw new ParamError('aptPackages: "purge" needs present: false');
  if (p.latest && (p.names ?? []).some(pinOf)) throw new ParamError('aptPackages: "latest" and a pinned version contradict each other');
  if (p.cacheValidTimeSec !== undefined && !p.update) throw new ParamError('aptPackages: "cacheValidTimeSec" needs update: true');
  for (const k of ['cacheValidTimeSec', 'lockTimeoutSec', 'lockWaitSec'] as const)
    if (p[k] !== undefined && !(Number.isInteger(p[k]) && p[k]! >= 0))
      throw new ParamError(`aptPackages: "${k}" must be a whole number ≥ 0`);
}

async function debFiles(ctx: ModuleContext, paths: string[]): Promise<DebFile[]> {
  const out: DebFile[] = [];
  for (const path of paths) {
    const r = await ctx.run(sh`dpkg-deb -f ${path} Package Version`, { quiet: true, okExitCodes: 'any' });
    if (r.exitCode !== 0)
      throw new ParamError(`aptPackages: ${path} on ${ctx.host.name} is not a readable .deb: ${r.stderr.trim().split('\n').at(-1)}`);
    out.push({ path, ...parseDebFields(r.stdout) });
  }
  return out;
}

/** `dpkg-deb -f FILE Package Version` → name and version. */
export function parseDebFields(out: string): { name: string; version: string } {
  const f = Object.fromEntries(
    out
      .split('\n')
      .map((l) => /^(\w+): (.*)$/.exec(l))
      .filter((m) => m)
      .map((m) => [m![1], m![2]!.trim()]),
  );
  return { name: f.Package ?? '', version: f.Version ?? '' };
}

/** `apt-mark showhold`: one name per line (`name:arch` for foreign ones). */
export const parseHolds = (out: string) =>
  out
    .split('\n')
    .map((l) => l.trim().split(':')[0]!)
    .filter(Boolean);

/** apt's `E:` lines (what it could not do), for reasons. */
const errorLines = (out: string) =>
  out
    .split('\n')
    .filter((l) => /^E: /.test(l))
    .join(' ') || out.trim().split('\n').slice(-3).join(' ');

/** Pure: which specs/debs apt must be asked about, and which are held and so skipped. */
export function wanted(
  p: AptPackagesParams,
  f: Pick<AptPackagesFacts, 'installed' | 'held' | 'debs'>,
): { targets: string[]; held: string[] } {
  const targets: string[] = [];
  const held: string[] = [];
  const isIn = (n: string) => f.installed[n]?.installed === true;
  const take = (spec: string, name: string) => (f.held.includes(name) && !p.allowChangeHeld ? held.push(name) : targets.push(spec));
  if (p.present === false) {
    for (const n of (p.names ?? []).map(nameOf)) if (isIn(n) || (p.purge && f.installed[n]?.status.startsWith('rc'))) take(n, n);
    return { targets, held };
  }
  for (const spec of p.names ?? []) {
    const n = nameOf(spec);
    const pin = pinOf(spec);
    if (!isIn(n) || (pin !== undefined && f.installed[n]!.version !== pin) || (p.latest && pin === undefined)) take(spec, n);
  }
  for (const d of f.debs) if (!isIn(d.name) || f.installed[d.name]!.version !== d.version) take(d.path, d.name);
  return { targets, held };
}

const aptArgs = (p: AptPackagesParams, targets: string[], simulate: boolean): string[] => [
  ...(simulate ? ['-s', '-o', 'Debug::NoLocking=1'] : ['-y', '-q']),
  ...(p.present === false ? [p.purge ? 'purge' : 'remove'] : ['install', ...(p.installRecommends ? [] : ['--no-install-recommends'])]),
  ...(p.allowDowngrade ? ['--allow-downgrades'] : []),
  ...(p.allowChangeHeld ? ['--allow-change-held-packages'] : []),
  ...(p.autoremove ? ['--auto-remove'] : []),
  ...targets,
];

const needsUpdate = (p: AptPackagesParams, f: AptPackagesFacts) =>
  !!p.update && (f.cacheAgeSec === null || !p.cacheValidTimeSec || f.cacheAgeSec > p.cacheValidTimeSec);

const describe = (moves: PackageMove[]) => moves.map((m) => `${m.name} ${m.from ?? '(new)'} → ${m.to ?? '(removed)'}`).join(', ');

/** Pure: the lists' update and the one apt-get line, or why nothing needs doing. */
export function plan(p: AptPackagesParams, f: AptPackagesFacts): Plan<AptPackagesResult> {
  const { targets, held } = wanted(p, f);
  const upd = needsUpdate(p, f);
  const moves = f.simulation?.moves ?? [];
  const result: AptPackagesResult = { moved: moves, held, updated: false, cacheAgeSec: f.cacheAgeSec };
  const heldNote = held.length ? `; held, left alone: ${held.join(', ')}` : '';
  const all = [...(p.names ?? []), ...(p.debs ?? [])].length;
  if (targets.length === 0)
    return noop(
      `${p.present === false ? `none of the ${all} package(s) installed` : `all ${all} package(s) as wanted`}${heldNote}`,
      result,
    );
  if (f.simulation?.error && !upd)
    throw new TaskFailed(`aptPackages: apt cannot ${aptArgs(p, [], false)[2]} ${targets.join(' ')}: ${f.simulation.error}`);
  if (moves.length === 0 && !upd)
    return noop(`apt would move nothing for ${targets.join(' ')} (newest version already)${heldNote}`, result);
  const steps: Step[] = [];
  const wait = (p.lockWaitSec ?? 300) * 1000;
  if (upd)
    steps.push(
      aptRun(noninteractiveApt(['-q', '-o', 'APT::Update::Error-Mode=any', 'update'], { lockTimeoutSec: p.lockTimeoutSec ?? 0 }), wait),
      exec(LISTS_STAMP_COMMAND),
    );
  // detached on the host: a dropped SSH link does not kill dpkg half-way
  steps.push(aptRun(noninteractiveApt(aptArgs(p, targets, false), { lockTimeoutSec: p.lockTimeoutSec ?? 0 }), wait, { detached: true }));
  const what = moves.length
    ? describe(moves)
    : `${targets.join(' ')} (apt on the current lists: ${f.simulation?.error ?? 'nothing to do'})`;
  return change(
    `${upd ? `apt-get update (${f.cacheAgeSec === null ? 'never updated' : `lists ${f.cacheAgeSec} s old`}), then ` : ''}${what}${heldNote}`,
    {
      steps,
      diff: movesDiff(moves),
      result,
    },
  );
}

/** Pure: what is still not as wanted after apt ran. */
export function missed(p: AptPackagesParams, f: AptPackagesFacts, now: Record<string, InstalledPackage>): string[] {
  const { targets } = wanted(p, f);
  const bad: string[] = [];
  for (const t of targets) {
    const deb = f.debs.find((d) => d.path === t);
    const n = deb ? deb.name : nameOf(t);
    const pin = deb ? deb.version : pinOf(t);
    const got = now[n];
    if (p.present === false) {
      if (got?.installed || (p.purge && got?.status.startsWith('rc'))) bad.push(`${n} still ${got.status.trim()}`);
    } else if (!got?.installed) bad.push(`${n} not installed`);
    else if (pin !== undefined && got.version !== pin) bad.push(`${n} at ${got.version}, wanted ${pin}`);
  }
  return bad;
}
