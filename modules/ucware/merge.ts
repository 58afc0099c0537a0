/**
 * Merge people that UCware 4.5 forced admins to create several times (one number per user)
 * into one v5 user with several numbers and device slots, through the JSON-RPC API.
 * For each merge: note each surplus account's numbers in the run journal, delete the account
 * (its call-forwarding profiles go with it — UCware's rule), give its numbers to the kept
 * user, create the wanted slots, tick the numbers on them, then read everything back and verify.
 * The journal note is written *before* the delete, so a crash in between loses no number:
 * `--resume` finds the note and finishes the move.
 * Idempotent (a merged person plans nothing). Check mode: full — the exact plan, plus the
 * duplicate-looking accounts that no merge covers yet.
 *
 * @example
 * ucwareMerge((h) => ({ api: h.vars.ucwareApi, merges: [{ keep: 'mmueller', remove: ['mmueller2', 'mueller-fax'],
 *   slots: [{ deviceType: 'mobile', name: 'Handy Müller', numbers: ['202'] }] }] }), { tags: ['merge'] })
 */
import { defineModule, change, noop, type FileDiff, type Plan, ParamError, TaskFailed } from '../../runner/module.ts';
import { apiFor, type DeviceType, type UcwareSlot, type UcwareUser } from './api.ts';
import type { UcwareApiConfig } from './config.ts';

export interface SlotSpec {
  deviceType: DeviceType;
  name: string;
  /** Numbers ticked on this slot (incoming and outgoing calls). */
  numbers: string[];
}

export interface MergeSpec {
  /** The user name that stays. */
  keep: string;
  /** User names of the same person to delete; their numbers move to `keep`. */
  remove: string[];
  /** Slots the kept user should have. */
  slots?: SlotSpec[];
}

export interface UcwareMergeParams {
  api?: UcwareApiConfig;
  merges: MergeSpec[];
}

export type MergeAction =
  | { kind: 'note'; account: string; numbers: string[]; keep: string }
  | { kind: 'delete'; account: string; userId: number }
  | { kind: 'assign'; number: string; keep: string; userId: number }
  | { kind: 'slot'; keep: string; userId: number; deviceType: DeviceType; name: string }
  | { kind: 'tick'; keep: string; slot: string; number: string };

export interface MergeFacts {
  users: UcwareUser[];
  slots: UcwareSlot[];
  /** account → numbers noted before its deletion, by this run or the one resumed */
  noted: Record<string, { numbers: string[]; keep: string } | undefined>;
}

export interface UcwareMergeResult {
  actions: MergeAction[];
  /** Accounts that look like the same person (same name or e-mail) and no merge covers. */
  candidates: string[][];
}

const numbersOf = (u: UcwareUser) => (u.extensions ?? []).map((e) => e.number);

export const ucwareMerge = defineModule<UcwareMergeParams, MergeFacts, UcwareMergeResult>({
  name: 'ucwareMerge',
  summary: (p) => `${p.merges.length} merge(s)`,
  validate: (p) => {
    const seen = new Set<string>();
    for (const m of p.merges) {
      for (const n of [m.keep, ...m.remove]) {
        if (seen.has(n)) throw new ParamError(`ucwareMerge: account "${n}" appears in more than one place of the desired state`);
        seen.add(n);
      }
      if (m.remove.length === 0 && !m.slots?.length)
        throw new ParamError(`ucwareMerge: merge for "${m.keep}" removes nothing and adds no slot`);
    }
  },
  facts: async (ctx, p) => {
    const api = apiFor(ctx.host, p.api);
    const [users, slots] = [await api.users(), await api.slots()];
    const noted: MergeFacts['noted'] = {};
    for (const m of p.merges) for (const r of m.remove) noted[r] = ctx.journal.recall(`ucwareMerge:${r}`);
    return { users, slots, noted };
  },
  plan,
  apply: async (ctx, p, _f, pl) => {
    const api = apiFor(ctx.host, p.api);
    const slotIds = new Map<string, number>();
    for (const a of pl.result!.actions) {
      switch (a.kind) {
        case 'note':
          ctx.journal.note(`ucwareMerge:${a.account}`, { numbers: a.numbers, keep: a.keep });
          break;
        case 'delete':
          ctx.output(`delete ${a.account}`);
          await api.deleteUser(a.userId);
          break;
        case 'assign':
          ctx.output(`number ${a.number} → ${a.keep}`);
          await api.assignUserNumber(a.userId, a.number, true);
          break;
        case 'slot': {
          ctx.output(`new ${a.deviceType} slot "${a.name}" for ${a.keep}`);
          const s = await api.newSlot({ deviceType: a.deviceType, name: a.name, userId: a.userId });
          slotIds.set(`${a.keep}/${a.name}`, s.id);
          break;
        }
        case 'tick': {
          let id = slotIds.get(`${a.keep}/${a.slot}`);
          if (id === undefined) {
            const keepUser = (await api.users()).find((u) => u.username === a.keep)!;
            id = (await api.slots()).find((s) => s.userId === keepUser.id && s.name === a.slot)!.id;
          }
          await api.tickSlot(id, a.number);
          break;
        }
      }
    }
    // Read back: what was asked must now be so.
    const after: MergeFacts = { users: await api.users(), slots: await api.slots(), noted: {} };
    const left = plan({ merges: p.merges }, after).result!.actions.filter((a) => a.kind !== 'note');
    if (left.length) throw new TaskFailed(`ucwareMerge: after applying, the API still shows work to do: ${describe(left)}`);
    return { reason: `${describe(pl.result!.actions)}; verified by reading users and slots back` };
  },
});

/** Pure: users, slots and journal notes → the ordered API actions. */
export function plan(p: UcwareMergeParams, f: MergeFacts): Plan<UcwareMergeResult> {
  const actions: MergeAction[] = [];
  const diff: FileDiff[] = [];
  const byName = new Map(f.users.map((u) => [u.username, u]));
  for (const m of p.merges) {
    const keep = byName.get(m.keep);
    if (!keep)
      throw new TaskFailed(
        `ucwareMerge: the account to keep, "${m.keep}", does not exist (users: ${f.users.map((u) => u.username).join(', ')})`,
      );
    const has = new Set(numbersOf(keep));
    const gained: string[] = [];
    for (const r of m.remove) {
      const u = byName.get(r);
      const numbers = u ? numbersOf(u) : (f.noted[r]?.numbers ?? []);
      if (u) {
        actions.push({ kind: 'note', account: r, numbers, keep: m.keep }, { kind: 'delete', account: r, userId: u.id });
        diff.push({ path: `ucware:user/${r}`, before: userText(u, f.slots), after: null });
      }
      for (const n of numbers) {
        if (has.has(n)) continue;
        has.add(n);
        gained.push(n);
        actions.push({ kind: 'assign', number: n, keep: m.keep, userId: keep.id });
      }
    }
    const keptSlots = f.slots.filter((s) => s.userId === keep.id);
    const afterSlots = keptSlots.map((s) => ({ ...s, extensions: [...s.extensions] }));
    for (const s of m.slots ?? []) {
      const missing = s.numbers.filter((n) => !has.has(n));
      if (missing.length)
        throw new TaskFailed(
          `ucwareMerge: slot "${s.name}" of ${m.keep} should carry ${missing.join(', ')}, which neither ${m.keep} nor the merged accounts have`,
        );
      let slot = afterSlots.find((x) => x.name === s.name);
      if (!slot) {
        actions.push({ kind: 'slot', keep: m.keep, userId: keep.id, deviceType: s.deviceType, name: s.name });
        slot = { id: -1, deviceType: s.deviceType, name: s.name, userId: keep.id, extensions: [] };
        afterSlots.push(slot);
      } else if (slot.deviceType !== s.deviceType) {
        throw new TaskFailed(
          `ucwareMerge: ${m.keep} has a slot "${s.name}" of type ${slot.deviceType}, the desired state says ${s.deviceType}; rename one of them`,
        );
      }
      for (const n of s.numbers) {
        if (slot.extensions.includes(n)) continue;
        slot.extensions.push(n);
        actions.push({ kind: 'tick', keep: m.keep, slot: s.name, number: n });
      }
    }
    if (actions.some((a) => 'keep' in a && a.keep === m.keep)) {
      diff.push({
        path: `ucware:user/${m.keep}`,
        before: userText(keep, f.slots),
        after: userText(
          { ...keep, extensions: [...(keep.extensions ?? []), ...gained.map((number) => ({ number }))] },
          afterSlots,
          keep.id,
        ),
      });
    }
  }
  const candidates = duplicates(f.users).filter((group) => !p.merges.some((m) => group.every((u) => u === m.keep || m.remove.includes(u))));
  const result = { actions, candidates };
  const note = candidates.length ? `; not in the desired state but look alike: ${candidates.map((c) => c.join(' = ')).join('; ')}` : '';
  if (actions.filter((a) => a.kind !== 'note').length === 0) return noop(`every merge is done${note}`, result);
  return change(`${describe(actions)}${note}`, { steps: [], diff, result });
}

/** Accounts with the same first+last name or the same e-mail, as groups of user names. */
export function duplicates(users: UcwareUser[]): string[][] {
  const parent = new Map(users.map((u) => [u.username, u.username]));
  const find = (x: string): string => (parent.get(x) === x ? x : find(parent.get(x)!));
  const join = (a: string, b: string) => parent.set(find(a), find(b));
  const seen = new Map<string, string>();
  for (const u of users) {
    const keys = [
      u.email ? `mail:${u.email.toLowerCase()}` : '',
      u.firstName || u.lastName ? `name:${`${u.firstName ?? ''} ${u.lastName ?? ''}`.trim().toLowerCase()}` : '',
    ].filter(Boolean);
    for (const k of keys) {
      const other = seen.get(k);
      if (other) join(u.username, other);
      else seen.set(k, u.username);
    }
  }
  const groups = new Map<string, string[]>();
  for (const u of users) groups.set(find(u.username), [...(groups.get(find(u.username)) ?? []), u.username]);
  return [...groups.values()].filter((g) => g.length > 1);
}

export function describe(actions: MergeAction[]): string {
  const parts: string[] = [];
  for (const a of actions) {
    if (a.kind === 'delete') parts.push(`delete ${a.account}`);
    if (a.kind === 'assign') parts.push(`${a.number} → ${a.keep}`);
    if (a.kind === 'slot') parts.push(`new ${a.deviceType} slot "${a.name}" for ${a.keep}`);
    if (a.kind === 'tick') parts.push(`tick ${a.number} on "${a.slot}"`);
  }
  return parts.join(', ');
}

function userText(u: UcwareUser, slots: UcwareSlot[], id = u.id): string {
  const mine = slots.filter((s) => s.userId === id);
  return [
    `user ${u.username} (${[u.firstName, u.lastName].filter(Boolean).join(' ')}${u.email ? `, ${u.email}` : ''})`,
    `numbers: ${numbersOf(u).join(', ') || '-'}`,
    ...mine.map((s) => `slot ${s.deviceType} "${s.name}": ${s.extensions.join(', ') || '-'}`),
    '',
  ].join('\n');
}
