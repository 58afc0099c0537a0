/**
 * UCware 5 fax permissions per group of fax numbers: a group of type `fax` holding the fax
 * numbers, and the permission `fax` on that group for each user group that needs it.
 * No API method to create groups or write permissions is known, so this module verifies
 * through the read methods and, where the state differs, records the exact manual steps as
 * pending (listed after the recap); adding numbers to an existing group uses the known
 * `assignMember`. With `allowUnverified`, the guessed methods in `unverified.ts` are tried.
 * Idempotent. Check mode: full.
 *
 * @example
 * ucwareFaxGroups((h) => ({ api: h.vars.ucwareApi, faxGroups: [{ name: 'fax-vertrieb', title: 'Fax Vertrieb', numbers: ['291'], userGroups: ['vertrieb'] }] }))
 */
import { defineModule, change, noop, type Plan } from '../../runner/module.ts';
import { apiFor, type UcwareGroup } from './api.ts';
import { UNVERIFIED_METHODS } from './unverified.ts';
import type { UcwareApiConfig } from './config.ts';

export interface FaxGroupSpec {
  /** Internal name (cannot be changed later in UCware). */
  name: string;
  /** Display title. */
  title: string;
  numbers: string[];
  /** User groups that get the `fax` permission on this fax group. */
  userGroups: string[];
}

export interface UcwareFaxGroupsParams {
  api?: UcwareApiConfig;
  faxGroups: FaxGroupSpec[];
  /** Try the guessed methods of unverified.ts. @default false */
  allowUnverified?: boolean;
}

export type FaxGap =
  | { kind: 'create'; group: string; title: string }
  | { kind: 'wrongType'; group: string; type: string }
  | { kind: 'member'; group: string; groupId?: number; number: string }
  | { kind: 'permission'; group: string; userGroup: string };

export interface UcwareFaxGroupsResult {
  gaps: FaxGap[];
  /** The manual steps left, in order. */
  manual: string[];
}

export const ucwareFaxGroups = defineModule<UcwareFaxGroupsParams, UcwareGroup[], UcwareFaxGroupsResult>({
  name: 'ucwareFaxGroups',
  summary: (p) => p.faxGroups.map((g) => g.name).join(', '),
  facts: (ctx, p) => apiFor(ctx.host, p.api).groups(),
  plan,
  apply: async (ctx, p, _groups, pl) => {
    const api = apiFor(ctx.host, p.api);
    for (const g of pl.result!.gaps) {
      if (g.kind === 'member' && g.groupId !== undefined) await api.call('admin/group', 'assignMember', [g.number, g.groupId]);
      if (g.kind === 'create' && p.allowUnverified)
        await api.call(UNVERIFIED_METHODS.createGroup.path, UNVERIFIED_METHODS.createGroup.method, [g.group, g.title, 'fax']);
    }
    const after = plan(p, await api.groups()).result!;
    if (after.manual.length) {
      ctx.pending(
        `fax groups, in the admin client of ${ctx.host.name} (no API for this is known):\n${after.manual.map((m, i) => `${i + 1}. ${m}`).join('\n')}\nthen run configure-v5 again: it verifies through the API.`,
      );
      return {
        changed: after.gaps.length < pl.result!.gaps.length,
        reason: `PENDING: ${after.manual.length} manual step(s) for fax groups`,
        result: after,
      };
    }
    return { reason: 'fax groups as wanted (verified through admin/group getAll)', result: after };
  },
});

/** Pure: the groups as the API shows them → what differs, and the manual steps for it. */
export function plan(p: UcwareFaxGroupsParams, groups: UcwareGroup[]): Plan<UcwareFaxGroupsResult> {
  const gaps: FaxGap[] = [];
  const manual: string[] = [];
  for (const want of p.faxGroups) {
    const g = groups.find((x) => x.name === want.name);
    if (!g) {
      gaps.push({ kind: 'create', group: want.name, title: want.title });
      manual.push(`Create a group of type "fax": name "${want.name}", title "${want.title}" (name and type cannot be changed later)`);
    } else if (g.type !== 'fax') {
      gaps.push({ kind: 'wrongType', group: want.name, type: g.type });
      manual.push(
        `Group "${want.name}" exists with type "${g.type}", not "fax": create a fax group under another name and update the inventory`,
      );
      continue;
    }
    for (const n of want.numbers) {
      if (g?.members.map(String).includes(n)) continue;
      gaps.push({ kind: 'member', group: want.name, groupId: g?.id, number: n });
      if (!g) manual.push(`Add fax number ${n} to group "${want.name}"`);
    }
    for (const ug of want.userGroups) {
      const u = groups.find((x) => x.name === ug);
      const ok = u && g && u.permissions.some((x) => x.permission === 'fax' && x.targetGroup === g.id);
      if (ok) continue;
      gaps.push({ kind: 'permission', group: want.name, userGroup: ug });
      manual.push(
        `On user group "${ug}", add the permission "fax" on group "${want.name}" (its members will see every fax of these numbers)`,
      );
    }
  }
  if (gaps.length === 0) return noop('fax groups as wanted (verified through admin/group getAll)', { gaps, manual });
  return change(`${gaps.length} difference(s): ${manual.join('; ') || gaps.map((x) => `${x.kind} ${x.group}`).join(', ')}`, {
    steps: [],
    result: { gaps, manual },
  });
}
