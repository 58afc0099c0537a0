/**
 * Make a group exist (with a gid, as a system group) or not exist: `groupadd`, `groupmod -g`,
 * `groupdel`. Idempotent (`getent group`). Check mode: full. Diff: the group line.
 *
 * @example
 * group({ name: 'ucwadmin', gid: 2001 }, { become: true })
 * group({ name: 'olduser', present: false }, { become: true })
 */
import { defineModule, change, noop, exec, ParamError, sh, type Plan } from '../runner/module.ts';
import { groupCommand, parseGroup, type GroupEntry } from './facts/accounts.ts';

export interface GroupParams {
  /** Group name. */
  name: string;
  /** Whether the group should exist. @default true */
  present?: boolean;
  /** Numeric id; unset: the next free one (and left as it is on an existing group). */
  gid?: number;
  /** Create it as a system group (gid from the system range). @default false */
  system?: boolean;
}

export const NAME_RE = /^[a-z_][a-z0-9_.-]*\$?$/;

export const group = defineModule<GroupParams, GroupEntry | null>({
  name: 'group',
  summary: (p) => `${p.name}${p.present === false ? ' absent' : ''}`,
  validate: (p) => {
    if (!NAME_RE.test(p.name ?? '')) throw new ParamError(`group: "name" ${JSON.stringify(p.name)} is not a valid group name`);
    if (p.gid !== undefined && !(Number.isInteger(p.gid) && p.gid >= 0)) throw new ParamError('group: "gid" must be a whole number ≥ 0');
  },
  facts: async (ctx, p) => parseGroup((await ctx.run(groupCommand(p.name), { quiet: true, okExitCodes: [0, 2] })).stdout),
  plan,
});

/** Pure: the group line (or none) → groupadd/groupmod/groupdel. */
export function plan(p: GroupParams, f: GroupEntry | null): Plan {
  const line = (g: { name: string; gid?: number }) => `${g.name}:x:${g.gid ?? '(next free)'}\n`;
  if (p.present === false) {
    if (!f) return noop(`group ${p.name} does not exist`);
    return change(`remove group ${p.name}`, {
      steps: [exec(sh`groupdel ${p.name}`)],
      diff: [{ path: '/etc/group', before: line(f), after: null }],
    });
  }
  if (!f) {
    const args = [...(p.gid !== undefined ? ['-g', String(p.gid)] : []), ...(p.system ? ['--system'] : [])];
    return change(`create group ${p.name}${p.gid !== undefined ? ` (gid ${p.gid})` : ''}`, {
      steps: [exec(sh`groupadd ${args} ${p.name}`)],
      diff: [{ path: '/etc/group', before: null, after: line(p) }],
    });
  }
  if (p.gid !== undefined && p.gid !== f.gid)
    return change(`gid of ${p.name} ${f.gid} → ${p.gid}`, {
      steps: [exec(sh`groupmod -g ${String(p.gid)} ${p.name}`)],
      diff: [{ path: '/etc/group', before: line(f), after: line(p) }],
    });
  return noop(`group ${p.name} exists (gid ${f.gid})`);
}
