/** Bringing a host's file to the controller, checked: base64 over the channel, SHA-256 compared, atomic write. */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { TaskFailed, sh, type ModuleContext } from '../../runner/module.ts';

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Copies `src` to `dest` if its bytes hash to `wantSha256`; otherwise writes nothing and fails. */
export async function fetchVerified(ctx: ModuleContext, src: string, dest: string, wantSha256: string, mode = '0600'): Promise<{ sha256: string; size: number }> {
  const r = await ctx.run(sh`base64 -w 0 < ${src}`, { quiet: true });
  const data = Buffer.from(r.stdout.trim(), 'base64');
  const got = sha256(data);
  if (got !== wantSha256) {
    throw new TaskFailed(`${src} on ${ctx.host.name} changed or arrived damaged: SHA-256 ${got} (${data.length} B), the host said ${wantSha256}; nothing written`);
  }
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode: parseInt(mode, 8) });
  chmodSync(tmp, parseInt(mode, 8));
  renameSync(tmp, dest);
  return { sha256: got, size: data.length };
}
