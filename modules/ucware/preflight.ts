/**
 * The GO/NO-GO checks before a UCware 4.5 → 5 upgrade, all read-only: distribution release,
 * UCware at 4.5.x, the `ucware-4.5` line in ucware.list, dpkg healthy, no apt/dpkg lock held,
 * free space on / and /var, the package repository reachable *from the host*, MySQL reachable
 * through debian.cnf, the v5 licence file on the controller, a snapshot provider (or waiver),
 * and the operator's confirmation of the v5 compatibility list.
 * Fails with the whole table when any check fails. Check mode: runs as is (read-only).
 *
 * @example
 * ucwarePreflight({ expectRelease: ['18.04'] }, { runInCheckMode: true, tags: ['preflight'] })
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineModule, noop, type ModuleContext, type Plan, TaskFailed, sh } from '../../runner/module.ts';
import { dpkgQueryCommand, parseDpkgQuery, type InstalledPackage } from '../facts/apt.ts';
import { compatibilityChecklist, unsupportedDevices } from './compatibility.ts';
import type { SnapshotConfig } from '../snapshot.ts';

export interface UcwarePreflightParams {
  /** Accepted `VERSION_ID`s of /etc/os-release. @default ['18.04'] */
  expectRelease?: string[];
  /** The series that must be installed now. @default '4.5' */
  series?: string;
  /** The series the upgrade goes to: a host already there is GO with nothing to do. @default '5' */
  target?: string;
  /** @default '/etc/apt/sources.list.d/ucware.list' */
  listFile?: string;
  /** Minimum free MiB. @default { root: 2048, var: 2048 } */
  minFreeMb?: { root?: number; var?: number };
  /** v5 licence file on the controller (relative to the working directory); unset: NO-GO. */
  licenceFile?: string;
  snapshot?: SnapshotConfig;
  /** The operator confirmed the compatibility checklist for this host. */
  compatibilityConfirmed?: boolean;
  /** Phone vendors / apps known to be in use on this server. */
  devices?: string[];
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface PreflightFacts {
  osRelease: Record<string, string>;
  packages: Record<string, InstalledPackage>;
  list: string | null;
  audit: string;
  locks: { path: string; pid: number; comm: string }[];
  freeMb: Record<string, number>;
  repos: { uri: string; ok: boolean; detail: string }[];
  mysql: { ok: boolean; detail: string };
  licenceOnController: boolean | null;
}

export interface PreflightResult {
  checks: Check[];
  ucwareVersion: string | null;
  /** Already on the target series: later phases have nothing to do. */
  alreadyDone: boolean;
}

const LOCKS = ['/var/lib/dpkg/lock-frontend', '/var/lib/dpkg/lock', '/var/lib/apt/lists/lock', '/var/cache/apt/archives/lock'];

export const ucwarePreflight = defineModule<UcwarePreflightParams, PreflightFacts, PreflightResult>({
  name: 'ucwarePreflight',
  summary: () => 'GO/NO-GO',
  facts: gather,
  plan,
});

async function gather(ctx: ModuleContext, p: UcwarePreflightParams): Promise<PreflightFacts> {
  const q = { quiet: true, okExitCodes: 'any' as const };
  const osText = (await ctx.run('cat /etc/os-release', q)).stdout;
  const osRelease = Object.fromEntries(
    osText
      .split('\n')
      .map((l) => /^([A-Z_]+)=("?)(.*)\2$/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => [m[1]!, m[3]!]),
  );
  const packages = parseDpkgQuery((await ctx.run(dpkgQueryCommand(['ucware', 'ucware-core']), q)).stdout);
  const listFile = p.listFile ?? '/etc/apt/sources.list.d/ucware.list';
  const lr = await ctx.run(sh`cat -- ${listFile}`, q);
  const audit = (await ctx.run('dpkg --audit 2>&1', q)).stdout.trim();
  // dpkg and apt hold fcntl locks: /proc/locks names the inode and the holder's pid.
  const lockOut = (
    await ctx.run(
      sh`for f in ${LOCKS}; do [ -e "$f" ] && echo "F $f $(stat -c %i "$f")"; done; cat /proc/locks; for p in /proc/[0-9]*; do echo "P \${p#/proc/} $(cat $p/comm 2>/dev/null)"; done`,
      q,
    )
  ).stdout;
  const df = (await ctx.run('df -Pm / /var', q)).stdout;
  const repos: PreflightFacts['repos'] = [];
  for (const line of (lr.stdout ?? '').split('\n')) {
    const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
    if (!m) continue;
    const url = `${m[1]!.replace(/\/$/, '')}/dists/${m[2]}/Release`;
    const r = await ctx.run(sh`t=$(mktemp); /usr/lib/apt/apt-helper download-file ${url} "$t" 2>&1; rc=$?; rm -f "$t"; exit $rc`, q);
    repos.push({ uri: m[1]!, ok: r.exitCode === 0, detail: r.exitCode === 0 ? 'reachable' : lastLine(r.stdout) });
  }
  const my = await ctx.run('mysql --defaults-file=/etc/mysql/debian.cnf -N -B -e "SELECT VERSION()" 2>&1', { ...q, become: true });
  return {
    osRelease,
    packages,
    list: lr.exitCode === 0 ? lr.stdout : null,
    audit,
    locks: parseLocks(lockOut),
    freeMb: parseDf(df),
    repos,
    mysql: { ok: my.exitCode === 0, detail: my.exitCode === 0 ? `server ${my.stdout.trim()}` : lastLine(my.stdout) },
    licenceOnController: p.licenceFile ? existsSync(resolve(p.licenceFile)) : null,
  };
}

/** Pure: the facts judged check by check; NO-GO throws with the whole table. */
export function plan(p: UcwarePreflightParams, f: PreflightFacts): Plan<PreflightResult> {
  const version = f.packages.ucware?.installed ? f.packages.ucware.version : null;
  const target = p.target ?? '5';
  if (version && (version === target || version.startsWith(`${target}.`)) && f.audit === '') {
    return noop(`GO: already on UCware ${version}, nothing to upgrade`, { checks: [], ucwareVersion: version, alreadyDone: true });
  }
  const checks = judge(p, f);
  const failed = checks.filter((c) => !c.ok);
  if (failed.length > 0) {
    throw new TaskFailed(`NO-GO: ${failed.length} of ${checks.length} checks failed\n${formatChecks(checks)}`);
  }
  return noop(`GO: all ${checks.length} checks passed (UCware ${version})`, { checks, ucwareVersion: version, alreadyDone: false });
}

export function judge(p: UcwarePreflightParams, f: PreflightFacts): Check[] {
  const series = p.series ?? '4.5';
  const want = p.expectRelease ?? ['18.04'];
  const rel = f.osRelease.VERSION_ID ?? '?';
  const c: Check[] = [];
  c.push({
    name: 'release',
    ok: want.includes(rel),
    detail: `${f.osRelease.PRETTY_NAME ?? f.osRelease.ID ?? '?'} (VERSION_ID ${rel}; expected ${want.join(' or ')})`,
  });
  for (const name of ['ucware', 'ucware-core']) {
    const pkg = f.packages[name];
    const ok = !!pkg?.installed && (pkg.version === series || pkg.version.startsWith(`${series}.`)) && !pkg.broken;
    c.push({ name: `package ${name}`, ok, detail: pkg ? `${pkg.version} (${pkg.status.trim()}), expected ${series}.x` : 'not installed' });
  }
  const listFile = p.listFile ?? '/etc/apt/sources.list.d/ucware.list';
  const line = f.list?.split('\n').find((l) => /^\s*deb\s/.test(l) && l.includes(`ucware-${series}`));
  c.push({
    name: 'ucware.list',
    ok: !!line,
    detail: f.list === null ? `${listFile} missing` : line ? line.trim() : `no active line with ucware-${series} in ${listFile}`,
  });
  c.push({ name: 'dpkg healthy', ok: f.audit === '', detail: f.audit === '' ? 'dpkg --audit clean' : lastLine(f.audit) });
  c.push({
    name: 'no apt/dpkg lock',
    ok: f.locks.length === 0,
    detail: f.locks.length === 0 ? 'no lock held' : f.locks.map((l) => `${l.path} held by ${l.comm} (pid ${l.pid})`).join('; '),
  });
  const min = { root: p.minFreeMb?.root ?? 2048, var: p.minFreeMb?.var ?? 2048 };
  for (const [mount, need] of [
    ['/', min.root],
    ['/var', min.var],
  ] as const) {
    const have = f.freeMb[mount] ?? f.freeMb['/'];
    c.push({ name: `free space ${mount}`, ok: have !== undefined && have >= need, detail: `${have ?? '?'} MiB free, need ${need}` });
  }
  c.push({
    name: 'repository reachable',
    ok: f.repos.length > 0 && f.repos.every((r) => r.ok),
    detail: f.repos.length ? f.repos.map((r) => `${r.uri}: ${r.detail}`).join('; ') : 'no deb line to test',
  });
  c.push({ name: 'mysql via debian.cnf', ok: f.mysql.ok, detail: f.mysql.detail });
  c.push({
    name: 'v5 licence file',
    ok: f.licenceOnController === true,
    detail: p.licenceFile
      ? `${p.licenceFile}${f.licenceOnController ? '' : ' not found on the controller'}`
      : 'no licenceFile set for this host',
  });
  const snap = p.snapshot;
  c.push({
    name: 'snapshot provider',
    ok: !!snap,
    detail: !snap
      ? 'none configured (set snapshot, or { provider: "none", waiver } to waive)'
      : snap.provider === 'none'
        ? `WAIVED: ${snap.waiver}`
        : snap.provider,
  });
  const bad = unsupportedDevices(p.devices ?? []);
  c.push({
    name: 'v5 compatibility',
    ok: p.compatibilityConfirmed === true && bad.length === 0,
    detail: bad.length
      ? `unsupported in v5: ${bad.join(', ')}`
      : p.compatibilityConfirmed
        ? 'confirmed by the operator'
        : `not confirmed: check and set compatibilityConfirmed: true — ${compatibilityChecklist().join(' · ')}`,
  });
  return c;
}

export function formatChecks(checks: Check[]): string {
  const w = Math.max(...checks.map((c) => c.name.length));
  return checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(w)}  ${c.detail}`).join('\n');
}

export function parseLocks(out: string): PreflightFacts['locks'] {
  const files = new Map<string, string>();
  const comm = new Map<number, string>();
  const held: PreflightFacts['locks'] = [];
  const lines = out.split('\n');
  for (const l of lines) {
    const f = /^F (\S+) (\d+)$/.exec(l);
    if (f) files.set(f[2]!, f[1]!);
    const p = /^P (\d+) (.*)$/.exec(l);
    if (p) comm.set(Number(p[1]), p[2]!);
  }
  for (const l of lines) {
    // 1: POSIX  ADVISORY  WRITE 812 fd:01:1234 0 EOF
    const m = /^\d+:\s+\S+\s+\S+\s+\S+\s+(\d+)\s+[0-9a-f]+:[0-9a-f]+:(\d+)\s/.exec(l);
    if (m && files.has(m[2]!)) held.push({ path: files.get(m[2]!)!, pid: Number(m[1]), comm: comm.get(Number(m[1])) ?? '?' });
  }
  return held;
}

export function parseDf(out: string): Record<string, number> {
  const res: Record<string, number> = {};
  for (const l of out.split('\n').slice(1)) {
    const cols = l.trim().split(/\s+/);
    if (cols.length >= 6) res[cols[5]!] = Number(cols[3]);
  }
  return res;
}

const lastLine = (s: string) => s.trim().split('\n').at(-1) ?? '';
