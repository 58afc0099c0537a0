/** User and group facts: getent lines and `id -Gn`, with pure parsers. */
import { sh } from '../../runner/module.ts';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  comment: string;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export const passwdCommand = (name: string) => sh`getent passwd ${name}`;
export const groupCommand = (name: string) => sh`getent group ${name}`;
/** Supplementary groups by name, primary first (`id -Gn`). */
export const idGroupsCommand = (name: string) => sh`id -Gn ${name}`;

/** `name:x:uid:gid:gecos:home:shell`, or nothing (no such user). */
export function parsePasswd(out: string): PasswdEntry | null {
  const f = out.trim().split('\n')[0]?.split(':') ?? [];
  if (f.length < 7) return null;
  return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), comment: f[4]!, home: f[5]!, shell: f[6]! };
}

/** `name:x:gid:m1,m2`, or nothing. */
export function parseGroup(out: string): GroupEntry | null {
  const f = out.trim().split('\n')[0]?.split(':') ?? [];
  if (f.length < 4) return null;
  return { name: f[0]!, gid: Number(f[2]), members: f[3] ? f[3].split(',') : [] };
}

export const parseIdGroups = (out: string) => out.trim().split(/\s+/).filter(Boolean);

/** Compares the shadow hash with the one on stdin on the host, so the hash is never printed. */
export const sameHashCommand = (name: string) =>
  sh`IFS= read -r h; c=$(getent shadow ${name} | cut -d: -f2); if [ "$c" = "$h" ]; then echo same; else echo differs; fi`;
