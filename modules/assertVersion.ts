/**
 * Fail the host unless installed packages are within a version range, compared the way dpkg
 * does (epochs, `~`, `4.5.0.9 < 4.5.0.10 < 5.0.0`). Read-only: runs in check mode too, never
 * changes anything. The result carries the versions found.
 *
 * @example
 * // after the 4.5 patch upgrade: UCware must be at 4.5.0.10 or later, but not yet 5
 * assertVersion({ packages: ['ucware', 'ucware-core'], atLeast: '4.5.0.10', below: '5' })
 */
import { defineModule, noop, type Plan, ParamError, TaskFailed } from '../runner/module.ts';
import { dpkgQueryCommand, parseDpkgQuery, type InstalledPackage } from './facts/apt.ts';
import { compareDebVersions, parseDebVersion } from './facts/debVersion.ts';

export interface AssertVersionParams {
  /** One package or several; every one must pass. */
  packages: string | string[];
  /** Installed version ≥ this. */
  atLeast?: string;
  /** Installed version < this. */
  below?: string;
  /** Installed version = this (Debian equality: `1.0` = `1.00` = `0:1.0-0`). */
  equals?: string;
  /** The package must not be installed at all (the other bounds are then not allowed). @default false */
  absent?: boolean;
}

export interface AssertVersionResult {
  /** Installed version by package (null: not installed). */
  versions: Record<string, string | null>;
}

const list = (p: AssertVersionParams) => [p.packages].flat();

export const assertVersion = defineModule<AssertVersionParams, Record<string, InstalledPackage>, AssertVersionResult>({
  name: 'assertVersion',
  summary: (p) =>
    `${list(p).join(' ')} ${p.absent ? 'absent' : [p.equals && `= ${p.equals}`, p.atLeast && `≥ ${p.atLeast}`, p.below && `< ${p.below}`].filter(Boolean).join(', ')}`,
  validate: (p) => {
    if (list(p).length === 0 || list(p).some((n) => !n)) throw new ParamError('assertVersion: "packages" is empty');
    const bounds = [p.atLeast, p.below, p.equals].filter((b) => b !== undefined);
    if (p.absent ? bounds.length > 0 : bounds.length === 0)
      throw new ParamError('assertVersion: give atLeast/below/equals, or absent: true alone');
    for (const b of bounds as string[]) {
      try {
        parseDebVersion(b);
      } catch (e) {
        throw new ParamError(`assertVersion: ${(e as Error).message}`);
      }
    }
    if (p.atLeast && p.below && compareDebVersions(p.atLeast, p.below) >= 0)
      throw new ParamError(`assertVersion: atLeast ${p.atLeast} is not below ${p.below}: nothing can pass`);
  },
  facts: async (ctx, p) => parseDpkgQuery((await ctx.run(dpkgQueryCommand(list(p)), { quiet: true, okExitCodes: [0, 1] })).stdout),
  plan,
});

/** Pure: installed versions → pass (no-op with the versions) or TaskFailed naming each failing package. */
export function plan(p: AssertVersionParams, pkgs: Record<string, InstalledPackage>): Plan<AssertVersionResult> {
  const versions: Record<string, string | null> = {};
  const bad: string[] = [];
  for (const name of list(p)) {
    const pkg = pkgs[name];
    const v = pkg?.installed ? pkg.version : null;
    versions[name] = v;
    if (p.absent) {
      if (v !== null) bad.push(`${name} ${v} is installed, wanted absent`);
      continue;
    }
    if (v === null) {
      bad.push(`${name} is not installed${pkg ? ` (dpkg status "${pkg.status.trim()}", version ${pkg.version})` : ''}`);
      continue;
    }
    if (p.equals !== undefined && compareDebVersions(v, p.equals) !== 0) bad.push(`${name} ${v} ≠ ${p.equals}`);
    if (p.atLeast !== undefined && compareDebVersions(v, p.atLeast) < 0) bad.push(`${name} ${v} < ${p.atLeast}`);
    if (p.below !== undefined && compareDebVersions(v, p.below) >= 0) bad.push(`${name} ${v} is not below ${p.below}`);
  }
  if (bad.length) throw new TaskFailed(`assertVersion: ${bad.join('; ')}`);
  return noop(
    Object.entries(versions)
      .map(([n, v]) => `${n} ${v ?? 'absent'}`)
      .join(', ') + ' ok',
    { versions },
  );
}
