/** Finds and loads a playbook by file path or by its `name` (`run upgrade …`). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../model/errors.ts';
import { importTs } from './importTs.ts';
import type { Playbook } from '../model/dsl.ts';

export interface LoadedPlaybook {
  file: string;
  playbook: Playbook;
}

/** `upgrade` → the file in playbooks/ whose playbook is named so; a path is taken as is. */
export async function loadPlaybook(ref: string, dir = 'playbooks'): Promise<LoadedPlaybook> {
  const file = findPlaybookFile(ref, dir);
  let mod: { default?: unknown };
  try {
    mod = await importTs(file);
  } catch (e) {
    throw new UsageError(`cannot load playbook ${file}: ${(e as Error).message}`, { cause: e });
  }
  const pb = mod.default as Playbook | undefined;
  if (!pb || pb.kind !== 'playbook') throw new UsageError(`${file} must export default playbook({...}, [...])`);
  return { file, playbook: pb };
}

export function findPlaybookFile(ref: string, dir = 'playbooks'): string {
  if (/\.(ts|js|mjs)$/.test(ref) || ref.includes('/')) {
    const f = resolve(ref);
    if (!existsSync(f)) throw new UsageError(`playbook file not found: ${ref}`);
    return f;
  }
  const direct = resolve(dir, `${ref}.ts`);
  if (existsSync(direct)) return direct;
  // Match the declared name without importing every playbook (start-up time).
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ts')) : [];
  const nameRe = new RegExp(`name:\\s*['"\`]${ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}['"\`]`);
  for (const f of files) if (nameRe.test(readFileSync(join(dir, f), 'utf8'))) return resolve(dir, f);
  const known = files.map((f) => f.replace(/\.ts$/, '')).join(', ') || 'none';
  throw new UsageError(`no playbook named "${ref}" in ${dir}/ (files: ${known})`);
}
