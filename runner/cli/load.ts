/**
 * Finds and loads a playbook by file path or by its `name` (`run upgrade …`): by name, the
 * user's `playbooks/` (under the working directory) first, then the ones this package ships.
 */
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

/** The playbooks this package ships (`run upgrade` from any directory). */
export const PACKAGED_PLAYBOOKS = resolve(import.meta.dirname, '..', '..', 'playbooks');

export function findPlaybookFile(ref: string, dir = 'playbooks'): string {
  if (/\.(ts|js|mjs)$/.test(ref) || ref.includes('/')) {
    const f = resolve(ref);
    if (!existsSync(f)) throw new UsageError(`playbook file not found: ${ref}`);
    return f;
  }
  const dirs = [...new Set([resolve(dir), PACKAGED_PLAYBOOKS])];
  for (const d of dirs) {
    const found = inDir(ref, d);
    if (found) return found;
  }
  const known = playbookNames(dir).join(', ') || 'none';
  throw new UsageError(`no playbook named "${ref}" in ${dir}/ or the packaged playbooks (known: ${known})`);
}

function inDir(ref: string, dir: string): string | undefined {
  const direct = join(dir, `${ref}.ts`);
  if (existsSync(direct)) return direct;
  // Match the declared name without importing every playbook (start-up time).
  const nameRe = new RegExp(`name:\\s*['"\`]${ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}['"\`]`);
  for (const f of tsIn(dir)) if (nameRe.test(readFileSync(join(dir, f), 'utf8'))) return join(dir, f);
  return undefined;
}

const tsIn = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.ts'))
        .sort()
    : [];

/** Every playbook name a user can type: the declared names in their playbooks/, then the packaged ones. */
export function playbookNames(dir = 'playbooks'): string[] {
  const names = new Set<string>();
  for (const d of [resolve(dir), PACKAGED_PLAYBOOKS]) {
    for (const f of tsIn(d)) {
      const text = readFileSync(join(d, f), 'utf8');
      const at = text.indexOf('export default playbook(');
      const m = at < 0 ? null : /\bname:\s*['"`]([\w.-]+)['"`]/.exec(text.slice(at));
      if (m) names.add(m[1]!);
    }
  }
  return [...names];
}
