/**
 * Installed Debian packages and their versions (`dpkg-query -W`). Read-only: never changes
 * anything, runs in check mode too. Later tasks read the result:
 * `host.result<PackageFactsResult>('pkgs')?.result?.packages.ucware?.version`.
 *
 * @example
 * packageFacts({ names: ['ucware', 'ucware-core'] }, { id: 'pkgs' })
 */
import { defineModule, noop, type Plan, ParamError } from '../runner/module.ts';
import { dpkgQueryCommand, parseDpkgQuery, type InstalledPackage } from './facts/apt.ts';

export type { InstalledPackage };

export interface PackageFactsParams {
  /** Packages to look up (dpkg-query patterns allowed, e.g. `ucware*`). @default every package */
  names?: string[];
}

export interface PackageFactsResult {
  /** By name; a package dpkg never heard of is absent. Removed-but-configured ones are present with `installed: false`. */
  packages: Record<string, InstalledPackage>;
  /** Names asked for that are not installed. */
  missing: string[];
}

export const packageFacts = defineModule<PackageFactsParams, Record<string, InstalledPackage>, PackageFactsResult>({
  name: 'packageFacts',
  summary: (p) => (p.names?.length ? p.names.join(' ') : 'all packages'),
  validate: (p) => {
    for (const n of p.names ?? [])
      if (!/^[a-z0-9*?][a-z0-9+.*?:-]*$/.test(n)) throw new ParamError(`packageFacts: ${JSON.stringify(n)} is not a package name`);
  },
  // dpkg-query exits 1 when a name matches nothing; that is an answer, not an error
  facts: async (ctx, p) => parseDpkgQuery((await ctx.run(dpkgQueryCommand(p.names), { quiet: true, okExitCodes: [0, 1] })).stdout),
  plan,
});

/** Pure: what dpkg says → the result; never a change. */
export function plan(p: PackageFactsParams, pkgs: Record<string, InstalledPackage>): Plan<PackageFactsResult> {
  const missing = (p.names ?? []).filter((n) => !/[*?]/.test(n) && !pkgs[n]?.installed);
  const shown = (p.names ?? [])
    .filter((n) => pkgs[n])
    .map((n) => `${n} ${pkgs[n]!.version}${pkgs[n]!.installed ? '' : ` (${pkgs[n]!.status.trim()})`}`);
  const reason = p.names?.length
    ? [...shown, ...missing.filter((n) => !pkgs[n]).map((n) => `${n} not installed`)].join(', ')
    : `${Object.keys(pkgs).length} packages`;
  return noop(reason, { packages: pkgs, missing });
}
