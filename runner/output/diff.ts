/** Unified diffs of planned file changes, as `--diff` prints them and logs record them. */
import { createTwoFilesPatch } from 'diff';
import type { FileDiff } from '../model/plan.ts';

export function unifiedDiff(d: FileDiff): string {
  const before = d.before ?? '';
  const after = d.after ?? '';
  const patch = createTwoFilesPatch(
    d.before === null ? '/dev/null' : side('a', d.path),
    d.after === null ? '/dev/null' : side('b', d.path),
    before,
    after,
    undefined,
    undefined,
    { context: 3 },
  );
  // drop the "=====" banner line jsdiff puts first
  return patch
    .split('\n')
    .filter((l) => !/^=+$/.test(l))
    .join('\n')
    .trimEnd();
}

/** `a/etc/x` for files, as git prints them; other names (`ucware:user/x`) as they are. */
const side = (ab: 'a' | 'b', path: string) => (path.startsWith('/') ? `${ab}${path}` : path);
