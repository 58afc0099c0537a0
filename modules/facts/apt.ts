/**
 * apt and dpkg facts shared by the apt modules: the command to run and a pure parser for
 * what it prints, plus the one place that says how apt is run without questions.
 */
import { sh, raw, type FileDiff } from '../../runner/module.ts';

// ---------------------------------------------------------------- non-interactive apt

/**
 * The environment every apt/dpkg run gets: no debconf questions, ucf keeps local files,
 * needrestart restarts services itself instead of asking. (DEBIAN_FRONTEND alone does not stop
 * dpkg's conffile prompt: the `--force-conf*` options below do — lab REPORT §3.)
 */
export const NONINTERACTIVE_ENV: Readonly<Record<string, string>> = {
  DEBIAN_FRONTEND: 'noninteractive',
  DEBIAN_PRIORITY: 'critical',
  UCF_FORCE_CONFFOLD: '1',
  NEEDRESTART_MODE: 'a',
  NEEDRESTART_SUSPEND: '1',
  LC_ALL: 'C.UTF-8',
  LANG: 'C.UTF-8',
};

/** dpkg keeps a locally modified conffile (the default answer N), and takes new ones silently. */
export const KEEP_CONFFILES_OPTIONS = ['-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold'] as const;

/** `env K=V … ` prefix for a shell line. */
export const envPrefix = (env: Readonly<Record<string, string>> = NONINTERACTIVE_ENV) =>
  'env ' +
  Object.entries(env)
    .map(([k, v]) => sh`${`${k}=${v}`}`)
    .join(' ') +
  ' ';

/**
 * An apt-get (or dpkg) line that never asks: the env above, keep-conffile options,
 * `DPkg::Lock::Timeout` (apt ≥ 1.9.11; older apt ignores it; default 0: under `-q` apt waits
 * silently, so the runner's own lock wait does it, naming the holder), stdin from /dev/null so a
 * prompt that slips through fails at once instead of hanging (lab REPORT §3 case A).
 *
 * @example
 * noninteractiveApt(['-y', 'dist-upgrade'], { lockTimeoutSec: 120 })
 */
export function noninteractiveApt(args: readonly string[], o: { lockTimeoutSec?: number; program?: 'apt-get' | 'dpkg' } = {}): string {
  const program = o.program ?? 'apt-get';
  const opts =
    program === 'apt-get'
      ? [...KEEP_CONFFILES_OPTIONS, '-o', `DPkg::Lock::Timeout=${o.lockTimeoutSec ?? 0}`]
      : ['--force-confdef', '--force-confold'];
  return envPrefix() + sh`${program} ${opts} ${args}` + raw(' </dev/null').text;
}

// ---------------------------------------------------------------- the lists' age

/**
 * How old apt's lists are: apt's own success stamp (written by apt.systemd.daily and by us), else
 * the newest Release file. Not the lists folder's mtime: a fresh image has the folder and no list,
 * and "updated seconds ago" would skip the update that its first install needs.
 */
export const LISTS_AGE_COMMAND =
  'now=$(date +%s); t=$(stat -c %Y /var/lib/apt/periodic/update-success-stamp 2>/dev/null) || ' +
  't=$(stat -c %Y /var/lib/apt/lists/*Release 2>/dev/null | sort -n | tail -n 1); echo "$now ${t:-none}"';

/** `LISTS_AGE_COMMAND`'s "now mtime" → seconds, or null when the lists were never fetched. */
export function parseListsAge(out: string): number | null {
  const [now, t] = out.trim().split(' ');
  return t === 'none' || t === undefined || t === '' ? null : Math.max(0, Number(now) - Number(t));
}

/** Marks a successful `apt-get update`, as apt.systemd.daily does, for the next age check. */
export const LISTS_STAMP_COMMAND = 'mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp';

// ---------------------------------------------------------------- dpkg-query

export interface InstalledPackage {
  name: string;
  version: string;
  /** dpkg's three-letter status, e.g. `ii `, `iU `, `rc `. */
  status: string;
  /** Unpacked and configured (`?i?`). */
  installed: boolean;
  /** Unpacked but not configured, half-installed or with triggers pending: dpkg needs `--configure -a`. */
  broken: boolean;
}

export const dpkgQueryCommand = (names: readonly string[] = []) =>
  sh`dpkg-query -W -f=${'${Package}\t${Version}\t${db:Status-Abbrev}\n'} ${[...names]}` + ' 2>/dev/null';

/** Parses `${Package}\t${Version}\t${db:Status-Abbrev}` lines; an installed entry wins over a removed one of the same name. */
export function parseDpkgQuery(out: string): Record<string, InstalledPackage> {
  const res: Record<string, InstalledPackage> = {};
  for (const line of out.split('\n')) {
    if (line.trim() === '') continue;
    const [name = '', version = '', status = ''] = line.split('\t');
    const s = status.padEnd(3, ' ');
    const pkg: InstalledPackage = {
      name,
      version,
      status: s,
      installed: s[1] === 'i',
      broken: 'UHFWt'.includes(s[1] ?? '') || s[2] === 'R',
    };
    const prev = res[name];
    if (!prev || (!prev.installed && pkg.installed)) res[name] = pkg;
  }
  return res;
}

// ---------------------------------------------------------------- apt-get -s

export interface PackageMove {
  name: string;
  /** null: newly installed. */
  from: string | null;
  /** null: removed. */
  to: string | null;
  action: 'upgrade' | 'install' | 'remove' | 'downgrade' | 'reinstall';
}

/**
 * Parses the `Inst`/`Remv` lines of `apt-get -s`: `Inst pkg [old] (new suite [arch])`,
 * `Inst pkg (new …)`, `Remv pkg [old]` (`Purg` for purge). `Conf` lines repeat the Inst ones and are ignored.
 */
export function parseAptSimulation(out: string): PackageMove[] {
  const moves: PackageMove[] = [];
  for (const line of out.split('\n')) {
    let m = /^Inst (\S+) (?:\[([^\]]+)\] )?\((\S+)/.exec(line);
    if (m) {
      const [, name = '', from, to = ''] = m;
      const action = from === undefined ? 'install' : from === to ? 'reinstall' : /\bdowngrad/i.test(line) ? 'downgrade' : 'upgrade';
      moves.push({ name, from: from ?? null, to, action });
      continue;
    }
    m = /^(?:Remv|Purg) (\S+)(?: \[([^\]]+)\])?/.exec(line);
    if (m) moves.push({ name: m[1] ?? '', from: m[2] ?? null, to: null, action: 'remove' });
  }
  return moves;
}

/**
 * Packages apt will not move in this run, by name: "The following packages have been kept
 * back:" (a move would need new or removed packages, or a held one) and Ubuntu's "The following
 * upgrades have been deferred due to phasing:" (apt ≥ 2.1 on a phased-update rollout).
 */
export function parseNotMoved(out: string): { keptBack: string[]; phased: string[] } {
  const res = { keptBack: [] as string[], phased: [] as string[] };
  let into: string[] | undefined;
  for (const line of out.split('\n')) {
    if (/^The following packages have been kept back:/.test(line)) into = res.keptBack;
    else if (/^The following upgrades have been deferred due to phasing:/.test(line)) into = res.phased;
    else if (into && /^\s+\S/.test(line)) into.push(...line.trim().split(/\s+/));
    else into = undefined;
  }
  return res;
}

/** `ucware 4.5.0.9 → 4.5.0.10` lines, for reasons and diffs. */
export const formatMoves = (moves: readonly PackageMove[]) =>
  moves.map((m) => `${m.name} ${m.from ?? '(new)'} → ${m.to ?? '(removed)'}`).join('\n') + (moves.length ? '\n' : '');

/** The package versions as a diff: before and after, one package per line. */
export const movesDiff = (moves: PackageMove[]): FileDiff[] | undefined =>
  moves.length
    ? [
        {
          path: '(packages)',
          before: moves
            .filter((m) => m.from)
            .map((m) => `${m.name} ${m.from}\n`)
            .join(''),
          after: moves
            .filter((m) => m.to)
            .map((m) => `${m.name} ${m.to}\n`)
            .join(''),
        },
      ]
    : undefined;

// ---------------------------------------------------------------- locks

/** `E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 1234 (apt-get)` */
export function parseLockError(stderr: string): { lock: string; pid?: number; holder?: string } | undefined {
  // dpkg itself: `… frontend lock was locked by another process with pid 406` (dpkg ≤ 1.21),
  // `… locked by /usr/bin/python3.13 process with pid 424` (dpkg 1.22, trixie: names the program)
  const d =
    /dpkg: error: dpkg (frontend lock|status database|lock) (?:was|is) locked by (?:another|(\S+)) process(?: with pid (\d+))?/.exec(
      stderr,
    );
  if (d)
    return {
      lock: d[1] === 'frontend lock' ? '/var/lib/dpkg/lock-frontend' : '/var/lib/dpkg/lock',
      pid: d[3] ? Number(d[3]) : undefined,
      ...(d[2] ? { holder: d[2].split('/').pop() } : {}),
    };
  const m = /Could not (?:get|open) lock (\S+?)\.?(?=\s|$)/.exec(stderr);
  if (!m) return undefined;
  const h = /held by process (\d+)(?: \(([^)]+)\))?/.exec(stderr);
  return { lock: m[1] ?? '', pid: h ? Number(h[1]) : undefined, holder: h?.[2] };
}
