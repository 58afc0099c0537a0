/**
 * Make a user account exist with a uid, primary group, supplementary groups (added to, or
 * exactly), shell, home (created; moved with `moveHome`), comment and password hash — or not
 * exist (`userdel`, with `removeHome` also its home and mail spool). Idempotent: `getent passwd`
 * and `id -Gn` decide; the password hash is compared on the host (it goes there on stdin, and is
 * never printed) and set with `chpasswd -e`. Check mode: full. Diff: the passwd line.
 *
 * @example
 * user({ name: 'ucwadmin', groups: ['sudo'], shell: '/bin/bash', passwordHash: secret(process.env.ADMIN_HASH!) }, { become: true })
 * user({ name: 'backup-agent', system: true, home: '/var/lib/backup-agent', shell: '/usr/sbin/nologin' }, { become: true })
 * user({ name: 'olduser', present: false, removeHome: true, force: true }, { become: true })
 */
import {
  defineModule,
  change,
  noop,
  exec,
  ParamError,
  Secret,
  registerSecret,
  sh,
  type Plan,
  type Step,
  type FileDiff,
} from '../runner/module.ts';
import { idGroupsCommand, parseIdGroups, parsePasswd, passwdCommand, sameHashCommand, type PasswdEntry } from './facts/accounts.ts';

export interface UserParams {
  /** Login name. */
  name: string;
  /** Whether the account should exist. @default true */
  present?: boolean;
  /** Numeric id; unset: the next free one (left as it is on an existing user). */
  uid?: number;
  /** Primary group (name); unset: a new user gets its own group (useradd's default). */
  group?: string;
  /** Supplementary groups; added to the ones the user has, unless `exclusiveGroups`. */
  groups?: string[];
  /** With `groups`: the user is in exactly these (others are dropped). @default false */
  exclusiveGroups?: boolean;
  /** Login shell, e.g. `/bin/bash`. */
  shell?: string;
  /** Home directory; unset: useradd's default (`/home/NAME`). */
  home?: string;
  /** Create the home directory of a new user. @default true */
  createHome?: boolean;
  /** When `home` changes on an existing user, move the old one's content there. @default false */
  moveHome?: boolean;
  /** A system account (uid from the system range, no aging). @default false */
  system?: boolean;
  /** GECOS field (full name). */
  comment?: string;
  /** The crypt(3) hash (e.g. from `mkpasswd -m sha-512`), as a secret. */
  passwordHash?: Secret;
  /** With `present: false`: remove the home directory and mail spool too. @default false */
  removeHome?: boolean;
  /**
   * With `present: false`: end the user's sessions and processes first (`loginctl terminate-user`,
   * then `pkill -KILL -u`) and remove even if logged in (`userdel -f`). Without it userdel refuses
   * while any process of the user runs — on systemd hosts that includes the `systemd --user`
   * manager logind keeps for about 10 s after the user's last logout. @default false
   */
  force?: boolean;
}

export interface UserFacts {
  entry: PasswdEntry | null;
  /** By name, primary first. */
  groups: string[];
  /** Whether the shadow hash equals `passwordHash` (undefined: none asked). */
  hashSame?: boolean;
}

const NAME_RE = /^[a-z_][a-z0-9_.-]*\$?$/;

export const user = defineModule<UserParams, UserFacts>({
  name: 'user',
  summary: (p) => `${p.name}${p.present === false ? ' absent' : ''}`,
  validate: (p) => {
    if (!NAME_RE.test(p.name ?? '')) throw new ParamError(`user: "name" ${JSON.stringify(p.name)} is not a valid user name`);
    for (const g of [...(p.groups ?? []), ...(p.group ? [p.group] : [])])
      if (!NAME_RE.test(g)) throw new ParamError(`user: group ${JSON.stringify(g)} is not a valid group name`);
    if (p.uid !== undefined && !(Number.isInteger(p.uid) && p.uid >= 0)) throw new ParamError('user: "uid" must be a whole number ≥ 0');
    if (p.passwordHash !== undefined && !(p.passwordHash instanceof Secret))
      throw new ParamError('user: "passwordHash" must be a secret: secret(hash)');
    for (const k of ['home', 'shell'] as const)
      if (p[k] !== undefined && !p[k]!.startsWith('/')) throw new ParamError(`user: "${k}" must be an absolute path`);
    if (p.comment?.includes(':')) throw new ParamError('user: "comment" cannot contain ":"');
    if (p.force && p.present !== false) throw new ParamError('user: "force" needs present: false');
  },
  facts: async (ctx, p) => {
    const entry = parsePasswd((await ctx.run(passwdCommand(p.name), { quiet: true, okExitCodes: [0, 2] })).stdout);
    if (!entry) return { entry, groups: [] };
    const groups = parseIdGroups((await ctx.run(idGroupsCommand(p.name), { quiet: true })).stdout);
    if (!p.passwordHash) return { entry, groups };
    registerSecret(p.passwordHash.reveal());
    const same = (await ctx.run(sameHashCommand(p.name), { quiet: true, stdin: p.passwordHash.reveal() + '\n' })).stdout.trim() === 'same';
    return { entry, groups, hashSame: same };
  },
  plan,
});

const passwdLine = (e: Partial<PasswdEntry> & { name: string }) =>
  `${e.name}:x:${e.uid ?? '(next)'}:${e.gid ?? '(group)'}:${e.comment ?? ''}:${e.home ?? `/home/${e.name}`}:${e.shell ?? '(default)'}\n`;

/** Pure: the passwd entry and groups → useradd / usermod / userdel, and chpasswd for the hash. */
export function plan(p: UserParams, f: UserFacts): Plan {
  if (p.present === false) {
    if (!f.entry) return noop(`user ${p.name} does not exist`);
    const end = p.force
      ? [
          exec(
            sh`if command -v loginctl >/dev/null; then loginctl terminate-user ${p.name} 2>/dev/null; fi; pkill -KILL -u ${p.name}; true`,
          ),
        ]
      : [];
    const args = [...(p.removeHome ? ['-r'] : []), ...(p.force ? ['-f'] : [])];
    return change(`remove user ${p.name}${p.removeHome ? ` and ${f.entry.home}` : ''}${p.force ? ' (its processes ended first)' : ''}`, {
      steps: [...end, exec(sh`userdel ${args} ${p.name}`)],
      diff: [{ path: '/etc/passwd', before: passwdLine(f.entry), after: null }],
    });
  }
  const steps: Step[] = [];
  const why: string[] = [];
  const setHash = p.passwordHash && f.hashSame !== true ? [exec('chpasswd -e', { stdin: `${p.name}:${p.passwordHash.reveal()}\n` })] : [];
  if (!f.entry) {
    const args = [
      ...(p.uid !== undefined ? ['-u', String(p.uid)] : []),
      ...(p.group ? ['-g', p.group] : []),
      ...(p.groups?.length ? ['-G', p.groups.join(',')] : []),
      ...(p.shell ? ['-s', p.shell] : []),
      ...(p.home ? ['-d', p.home] : []),
      ...((p.createHome ?? true) ? ['-m'] : ['-M']),
      ...(p.system ? ['--system'] : []),
      ...(p.comment !== undefined ? ['-c', p.comment] : []),
    ];
    steps.push(exec(sh`useradd ${args} ${p.name}`), ...setHash);
    const diff: FileDiff[] = [
      {
        path: '/etc/passwd',
        before: null,
        after: passwdLine({ name: p.name, uid: p.uid, comment: p.comment, home: p.home, shell: p.shell }),
      },
    ];
    return change(`create user ${p.name}${p.groups?.length ? ` in ${p.groups.join(', ')}` : ''}${setHash.length ? ', set password' : ''}`, {
      steps,
      diff,
    });
  }
  const e = f.entry;
  const mod: string[] = [];
  if (p.uid !== undefined && p.uid !== e.uid) (mod.push('-u', String(p.uid)), why.push(`uid ${e.uid} → ${p.uid}`));
  if (p.group && p.group !== f.groups[0]) (mod.push('-g', p.group), why.push(`primary group ${f.groups[0]} → ${p.group}`));
  if (p.shell && p.shell !== e.shell) (mod.push('-s', p.shell), why.push(`shell ${e.shell} → ${p.shell}`));
  if (p.home && p.home !== e.home)
    (mod.push('-d', p.home, ...(p.moveHome ? ['-m'] : [])), why.push(`home ${e.home} → ${p.home}${p.moveHome ? ' (moved)' : ''}`));
  if (p.comment !== undefined && p.comment !== e.comment) (mod.push('-c', p.comment), why.push(`comment → ${JSON.stringify(p.comment)}`));
  if (p.groups) {
    const have = f.groups.slice(1);
    const missing = p.groups.filter((g) => !have.includes(g));
    const extra = p.exclusiveGroups ? have.filter((g) => !p.groups!.includes(g) && g !== (p.group ?? f.groups[0])) : [];
    if (missing.length || extra.length) {
      mod.push(...(p.exclusiveGroups ? ['-G', p.groups.join(',')] : ['-a', '-G', missing.join(',')]));
      why.push(
        [missing.length && `add to ${missing.join(', ')}`, extra.length && `drop from ${extra.join(', ')}`].filter(Boolean).join(', '),
      );
    }
  }
  if (mod.length) steps.push(exec(sh`usermod ${mod} ${p.name}`));
  if (setHash.length) (steps.push(...setHash), why.push('password hash changes'));
  if (!steps.length) return noop(`user ${p.name} is as wanted (uid ${e.uid}, groups ${f.groups.join(' ')})`);
  const after = { ...e, uid: p.uid ?? e.uid, shell: p.shell ?? e.shell, home: p.home ?? e.home, comment: p.comment ?? e.comment };
  return change(`${p.name}: ${why.join('; ')}`, {
    steps,
    diff: mod.length ? [{ path: '/etc/passwd', before: passwdLine(e), after: passwdLine(after) }] : undefined,
  });
}
