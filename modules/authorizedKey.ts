/**
 * Put SSH public keys into (or take them out of) a user's `~/.ssh/authorized_keys`, with
 * per-key options (`from="10.0.0.0/8",no-agent-forwarding`), or make the file hold exactly the
 * given keys (`exclusive`). A key is known by its type and base64 blob, so a changed comment or
 * options line is updated, not duplicated. `~/.ssh` is made 0700 and the file 0600, both owned
 * by the user (sshd's StrictModes refuses anything looser). Idempotent. Check mode: full.
 * Diff: full.
 *
 * @example
 * authorizedKey({ user: 'ucwadmin', keys: ['ssh-ed25519 AAAAC3Nza… admin@laptop'] }, { become: true })
 * authorizedKey({ user: 'root', keys: [deployKey], options: 'from="10.0.0.0/8"', exclusive: true }, { become: true })
 */
import { defineModule, change, noop, exec, upload, ParamError, sh, type Plan, type Step } from '../runner/module.ts';
import { parsePasswd, passwdCommand, type PasswdEntry } from './facts/accounts.ts';
import { readFile, sameMode, statFile, type FileStat } from './facts/files.ts';

export interface AuthorizedKeyParams {
  /** The account whose keys these are. */
  user: string;
  /** Public key lines: `type base64 [comment]`. */
  keys: string[];
  /** Whether the keys should be there. @default true */
  present?: boolean;
  /** Key options put before each given key, e.g. `from="10.0.0.0/8",no-pty`. */
  options?: string;
  /** The file holds exactly these keys (others are removed). @default false */
  exclusive?: boolean;
  /** The file; unset: `~USER/.ssh/authorized_keys`. */
  path?: string;
}

export interface AuthorizedKeyFacts {
  entry: PasswdEntry | null;
  /** The user's primary group name. */
  group: string;
  dir: FileStat;
  file: FileStat;
  content: string | null;
}

const KEY_TYPES = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)$/;

/** The type and blob of a key line (options before them skipped), or null for comments/junk. */
export function keyId(line: string): string | null {
  const words = line.trim().match(/(?:[^\s"]+|"[^"]*")+/g) ?? [];
  const i = words.findIndex((w) => KEY_TYPES.test(w));
  return i >= 0 && words[i + 1] ? `${words[i]} ${words[i + 1]}` : null;
}

const pathOf = (p: AuthorizedKeyParams, e: PasswdEntry | null) => p.path ?? `${e?.home ?? `/home/${p.user}`}/.ssh/authorized_keys`;

export const authorizedKey = defineModule<AuthorizedKeyParams, AuthorizedKeyFacts>({
  name: 'authorizedKey',
  summary: (p) => `${p.keys.length} key(s) for ${p.user}${p.present === false ? ' absent' : ''}`,
  validate: (p) => {
    if (!p.user) throw new ParamError('authorizedKey: "user" is required');
    for (const k of p.keys ?? [])
      if (!keyId(k) || k.includes('\n')) throw new ParamError(`authorizedKey: not a public key line: ${JSON.stringify(k.slice(0, 40))}`);
    if (p.exclusive && p.present === false) throw new ParamError('authorizedKey: "exclusive" needs present: true');
    if (p.options?.includes('\n')) throw new ParamError('authorizedKey: "options" is one line');
  },
  facts: async (ctx, p) => {
    const entry = parsePasswd((await ctx.run(passwdCommand(p.user), { quiet: true, okExitCodes: [0, 2] })).stdout);
    if (!entry) return { entry, group: '', dir: { exists: false }, file: { exists: false }, content: null };
    const group = (await ctx.run(sh`id -gn ${p.user}`, { quiet: true })).stdout.trim();
    const path = pathOf(p, entry);
    const dir = await statFile(ctx, path.slice(0, path.lastIndexOf('/')));
    const file = await statFile(ctx, path);
    return { entry, group, dir, file, content: file.exists ? await readFile(ctx, path) : null };
  },
  plan,
});

/** Pure: the file's lines → the new content, plus the directory and file modes and owner. */
export function plan(p: AuthorizedKeyParams, f: AuthorizedKeyFacts): Plan {
  // under --check an earlier task may not have created the user yet; a real run fails here, saying so
  if (!f.entry)
    return change(`add ${p.keys.length} key(s) for ${p.user} (no such user yet: an earlier task must create it)`, {
      steps: [exec(sh`if ! getent passwd ${p.user} >/dev/null; then echo ${`authorizedKey: no user ${p.user}`} >&2; exit 67; fi`)],
    });
  const path = pathOf(p, f.entry);
  const dir = path.slice(0, path.lastIndexOf('/'));
  const own = `${p.user}:${f.group}`;
  const lines = (f.content ?? '').split('\n').filter((l, i, a) => !(l === '' && i === a.length - 1));
  const want = new Map(p.keys.map((k) => [keyId(k)!, p.options ? `${p.options} ${k.trim()}` : k.trim()]));
  let out: string[];
  if (p.present === false) out = lines.filter((l) => !want.has(keyId(l) ?? ''));
  else {
    const seen = new Set<string>();
    out = lines.flatMap((l) => {
      const id = keyId(l);
      if (id && want.has(id)) return seen.has(id) ? [] : (seen.add(id), [want.get(id)!]);
      return p.exclusive && id ? [] : [l];
    });
    for (const [id, l] of want) if (!seen.has(id)) out.push(l);
  }
  const after = out.length ? out.join('\n') + '\n' : '';
  const steps: Step[] = [];
  const why: string[] = [];
  if (p.present !== false && !p.path) {
    if (!f.dir.exists) (steps.push(exec(sh`mkdir -m 0700 -- ${dir}`)), why.push(`create ${dir}`));
    if (f.dir.exists && !sameMode('700', f.dir.mode))
      (steps.push(exec(sh`chmod 0700 -- ${dir}`)), why.push(`${dir} mode ${f.dir.mode} → 0700`));
    if (!f.dir.exists || f.dir.owner !== p.user || f.dir.group !== f.group) steps.push(exec(sh`chown ${own} -- ${dir}`));
  }
  const contentChanges = after !== (f.content ?? (p.present === false ? after : null));
  if (contentChanges) {
    steps.push(upload(path, after, { mode: '0600', owner: p.user, group: f.group }));
    why.push(
      p.present === false
        ? `remove ${lines.length - out.length} key(s) from ${path}`
        : `${f.content === null ? 'create' : 'update'} ${path}`,
    );
  } else if (f.file.exists && (!sameMode('600', f.file.mode) || f.file.owner !== p.user)) {
    steps.push(exec(sh`chmod 0600 -- ${path}`), exec(sh`chown ${own} -- ${path}`));
    why.push(`${path} → 0600 ${own}`);
  }
  if (!steps.length) return noop(`${path} ${p.present === false ? 'has none of the keys' : 'already has the keys'}`);
  return change(why.join(', ') || `fix ownership of ${dir}`, {
    steps,
    diff: contentChanges ? [{ path, before: f.content, after }] : undefined,
  });
}
