/**
 * Upgrade the installed packages, without a single question: `apt-get dist-upgrade` (modes
 * `full`/`dist`) or `apt-get upgrade --with-new-pkgs` (`safe`), always with
 * DEBIAN_FRONTEND=noninteractive, UCF_FORCE_CONFFOLD=1, NEEDRESTART_MODE=a,
 * `--force-confdef --force-confold` (modified conffiles are kept, the package's version is left
 * as `*.dpkg-dist` — see `debconfKeep`), no PTY, stdin at EOF, `DPkg::Lock::Timeout`.
 *
 * Order: repair an interrupted dpkg (`dpkg --configure -a` with the same options) if
 * `dpkg --audit` complains → `apt-get clean` (if asked) → `apt-get update` (if asked and the
 * lists are older than `cacheValidTimeSec`) → simulate (`apt-get -s`) → upgrade only if the
 * simulation moves packages. A held apt/dpkg lock (lists lock during update, dpkg lock during
 * the upgrade) is waited for and retried up to `lockWaitSec`, naming the process holding it.
 * The upgrade itself runs detached on the host (runner/connection/detached.ts): a dropped SSH link does not
 * kill dpkg half-way; the runner reattaches and streams apt's lines as they come.
 * When OpenSSH moved, a fresh login over a new connection is proved before the task ends; if
 * it fails, ssh is restarted over the old connection and the proof repeated (lib/freshLogin.ts).
 * `changed` only when packages moved (or dpkg was repaired). Check mode: full — the simulation
 * on the current lists is the plan; `--diff` shows each package's old and new version.
 *
 * @example
 * aptUpgrade({ mode: 'full', update: true, clean: true }, { become: true, timeoutSec: 3600 })
 * aptUpgrade({ update: true, cacheValidTimeSec: 3600, mode: 'safe' }, { become: true })
 */
import { defineModule, change, noop, type Plan, ParamError } from '../runner/module.ts';
import {
  dpkgQueryCommand,
  formatMoves,
  movesDiff,
  LISTS_AGE_COMMAND,
  LISTS_STAMP_COMMAND,
  parseListsAge,
  noninteractiveApt,
  parseAptSimulation,
  parseDpkgQuery,
  parseNotMoved,
  type PackageMove,
} from './facts/apt.ts';
import { aptRun } from './lib/aptRun.ts';
import { ensureFreshLogin, movesOpenssh } from './lib/freshLogin.ts';

export type { PackageMove };

export interface AptUpgradeParams {
  /** `full`/`dist`: dist-upgrade (may install and remove packages); `safe`: upgrade --with-new-pkgs (never removes). @default 'full' */
  mode?: 'full' | 'dist' | 'safe';
  /** Run `apt-get update` first. @default false */
  update?: boolean;
  /** With `update`: skip it when the lists are younger than this (update-success-stamp, else the newest Release file). @default 0 (always) */
  cacheValidTimeSec?: number;
  /** `apt-get clean` before updating. @default false */
  clean?: boolean;
  /** Remove packages no longer needed (`--auto-remove`). @default false */
  autoremove?: boolean;
  /** apt's own, silent wait for the dpkg lock (`DPkg::Lock::Timeout`, apt ≥ 1.9.11). @default 0: the runner waits instead (`lockWaitSec`), saying who holds the lock */
  lockTimeoutSec?: number;
  /** Our wait-and-retry when a lock is still held (lists lock, old apt, dpkg run by hand). @default 300 */
  lockWaitSec?: number;
  /** Run `dpkg --configure -a` first when dpkg reports unfinished work. @default true */
  repair?: boolean;
}

export interface AptUpgradeResult {
  /** Packages that moved (or, in check mode, would). */
  moved: PackageMove[];
  /** `apt-get update` ran. */
  updated: boolean;
  /** `dpkg --configure -a` ran first. */
  repaired: boolean;
  /** Age of the package lists before this task, seconds (null: never updated). */
  cacheAgeSec: number | null;
  /** When OpenSSH moved: whether a fresh login works (and whether ssh had to be restarted for it). */
  freshLogin?: string;
  /** Upgradable packages apt keeps back (a move would need new/removed packages, or one is held): not done. */
  keptBack: string[];
  /** Ubuntu's phased updates this host is not yet in: not done. */
  phased: string[];
}

interface Facts {
  moves: PackageMove[];
  keptBack?: string[];
  phased?: string[];
  cacheAgeSec: number | null;
  /** `dpkg --audit` output: non-empty means an interrupted dpkg. */
  audit: string;
}

const upgradeArgs = (p: AptUpgradeParams, simulate: boolean): string[] => [
  ...(simulate ? ['-s', '-o', 'Debug::NoLocking=1'] : ['-y', '-q']),
  ...(p.mode === 'safe' ? ['upgrade', '--with-new-pkgs'] : ['dist-upgrade']),
  ...(p.autoremove ? ['--auto-remove'] : []),
];

export const aptUpgrade = defineModule<AptUpgradeParams, Facts, AptUpgradeResult>({
  name: 'aptUpgrade',
  summary: (p) => `${p.mode ?? 'full'}${p.update ? ' after update' : ''}`,
  validate: (p) => {
    if (p.mode !== undefined && !['full', 'dist', 'safe'].includes(p.mode))
      throw new ParamError(`aptUpgrade: "mode" must be full, dist or safe, not ${JSON.stringify(p.mode)}`);
    if (p.cacheValidTimeSec !== undefined && !p.update) throw new ParamError('aptUpgrade: "cacheValidTimeSec" needs update: true');
    for (const k of ['cacheValidTimeSec', 'lockTimeoutSec', 'lockWaitSec'] as const)
      if (p[k] !== undefined && !(Number.isInteger(p[k]) && p[k]! >= 0))
        throw new ParamError(`aptUpgrade: "${k}" must be a whole number ≥ 0`);
  },
  facts: async (ctx, p) => {
    const age = await ctx.run(LISTS_AGE_COMMAND, { quiet: true });
    const audit = (await ctx.run('dpkg --audit 2>&1; true', { quiet: true })).stdout.trim();
    // a broken dpkg makes the simulation fail; the repair comes first, so simulate only when sound
    const sim = audit ? undefined : await ctx.run(noninteractiveApt(upgradeArgs(p, true)), { quiet: true });
    return {
      moves: sim ? parseAptSimulation(sim.stdout) : [],
      ...parseNotMoved(sim?.stdout ?? ''),
      cacheAgeSec: parseListsAge(age.stdout),
      audit,
    };
  },
  plan,
  apply: async (ctx, p, f) => {
    const lockWaitMs = (p.lockWaitSec ?? 300) * 1000;
    const lockOpt = { lockTimeoutSec: p.lockTimeoutSec ?? 0 };
    let repaired = false;
    if (f.audit && (p.repair ?? true)) {
      ctx.output('dpkg was interrupted: dpkg --configure -a');
      await ctx.runStep(aptRun(noninteractiveApt(['--configure', '-a'], { program: 'dpkg' }), lockWaitMs));
      repaired = true;
    }
    if (p.clean) await ctx.runStep(aptRun(noninteractiveApt(['clean'], lockOpt), lockWaitMs));
    const updated = needsUpdate(p, f);
    if (updated) {
      const r = await ctx.runStep(aptRun(noninteractiveApt(['-q', '-o', 'APT::Update::Error-Mode=any', 'update'], lockOpt), lockWaitMs));
      for (const w of (r.stdout + r.stderr).split('\n').filter((l) => /^(W|E): /.test(l))) ctx.warn(`apt-get update: ${w}`);
      await ctx.run(LISTS_STAMP_COMMAND, { quiet: true });
    }
    const sim = await ctx.run(noninteractiveApt(upgradeArgs(p, true)), { quiet: true });
    const moves = parseAptSimulation(sim.stdout);
    const left = parseNotMoved(sim.stdout);
    const result: AptUpgradeResult = { moved: moves, updated, repaired, cacheAgeSec: f.cacheAgeSec, ...left };
    if (left.keptBack.length || left.phased.length) ctx.warn(`aptUpgrade: not upgraded in this run${notMoved(left)}`);
    if (moves.length === 0) {
      return {
        changed: repaired,
        reason: `${repaired ? 'dpkg repaired; ' : ''}${updated ? 'lists updated; ' : ''}nothing to upgrade${notMoved(left)}`,
        result,
      };
    }
    ctx.output(
      `${moves.length} package(s) to move: ${moves
        .slice(0, 8)
        .map((m) => `${m.name} ${m.to ?? '(remove)'}`)
        .join(', ')}${moves.length > 8 ? ', …' : ''}`,
    );
    // detached on the host: a dropped SSH link does not kill dpkg half-way; output still streams
    await ctx.runStep(aptRun(noninteractiveApt(upgradeArgs(p, false), lockOpt), lockWaitMs, { detached: true }));
    // before the task ends and the connection may be let go: new logins must still work
    const login = movesOpenssh(moves) ? await ensureFreshLogin(ctx) : undefined;
    if (login) {
      ctx.output(login.message);
      result.freshLogin = login.message;
      if (!login.ok) return { result, failed: `aptUpgrade on ${ctx.host.name}: ${login.message}` };
    }
    const after = (await ctx.run('dpkg --audit 2>&1; true', { quiet: true })).stdout.trim();
    const now = parseDpkgQuery((await ctx.run(dpkgQueryCommand(moves.map((m) => m.name)), { quiet: true, okExitCodes: [0, 1] })).stdout);
    const notThere = moves.filter((m) => m.to !== null && now[m.name]?.version !== m.to);
    if (after || notThere.length) {
      return {
        result,
        failed: `aptUpgrade on ${ctx.host.name}: the upgrade ended unfinished${after ? `; dpkg --audit: ${after.split('\n').slice(0, 5).join(' | ')}` : ''}${notThere.length ? `; not at the new version: ${notThere.map((m) => `${m.name} (${now[m.name]?.version ?? 'absent'}, wanted ${m.to})`).join(', ')}` : ''}`,
      };
    }
    return {
      changed: true,
      reason: `${repaired ? 'dpkg repaired; ' : ''}${describe(moves)}${notMoved(left)}${login ? `; ${login.message}` : ''}`,
      result,
      diff: movesDiff(moves),
    };
  },
});

/** `; kept back: a, b; phased: c`, or nothing: said in every reason, so a host is never called done with packages left. */
const notMoved = ({ keptBack = [], phased = [] }: { keptBack?: string[]; phased?: string[] }) =>
  `${keptBack.length ? `; kept back: ${keptBack.join(', ')}` : ''}${phased.length ? `; phased (deferred by apt): ${phased.join(', ')}` : ''}`;

const needsUpdate = (p: AptUpgradeParams, f: Facts) =>
  !!p.update && (f.cacheAgeSec === null || !p.cacheValidTimeSec || f.cacheAgeSec > p.cacheValidTimeSec);

const describe = (moves: PackageMove[]) => {
  const n = (a: PackageMove['action']) => moves.filter((m) => m.action === a).length;
  const parts = [
    n('upgrade') && `${n('upgrade')} upgraded`,
    n('install') && `${n('install')} newly installed`,
    n('remove') && `${n('remove')} removed`,
    n('downgrade') && `${n('downgrade')} downgraded`,
  ].filter(Boolean);
  return `${parts.join(', ')}: ${moves
    .slice(0, 6)
    .map((m) => `${m.name} ${m.from ?? '(new)'} → ${m.to ?? '(removed)'}`)
    .join(', ')}${moves.length > 6 ? ', …' : ''}`;
};

/** Pure: what the run would do, from the simulation on the current lists. */
export function plan(p: AptUpgradeParams, f: Facts): Plan<AptUpgradeResult> {
  const upd = needsUpdate(p, f);
  const repair = !!f.audit && (p.repair ?? true);
  const result: AptUpgradeResult = {
    moved: f.moves,
    updated: false,
    repaired: false,
    cacheAgeSec: f.cacheAgeSec,
    keptBack: f.keptBack ?? [],
    phased: f.phased ?? [],
  };
  if (f.audit && !repair) throw new ParamError(`aptUpgrade: dpkg reports unfinished work and repair is off: ${f.audit.split('\n')[0]}`);
  const age = f.cacheAgeSec === null ? 'never updated' : `lists ${f.cacheAgeSec} s old`;
  if (!upd && !repair && !p.clean && f.moves.length === 0)
    return noop(`nothing to upgrade (${age}${p.update ? `, younger than ${p.cacheValidTimeSec} s` : ''})${notMoved(f)}`, result);
  const parts = [
    repair && `repair dpkg (dpkg --configure -a): ${f.audit.split('\n')[0]}`,
    p.clean && 'apt-get clean',
    upd && `apt-get update (${age})`,
    f.moves.length
      ? `${describe(f.moves)}${upd ? ' (from the lists before the update)' : ''}`
      : upd
        ? 'then upgrade what the new lists offer'
        : 'nothing to upgrade',
  ].filter(Boolean);
  return change(parts.join('; ') + notMoved(f), { steps: [], diff: movesDiff(f.moves), result });
}

export { formatMoves };
