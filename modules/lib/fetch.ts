/**
 * Bringing a host's file to the controller, checked: base64 over the channel, decoded line by
 * line straight into a 0600 temp file beside the destination while its SHA-256 is computed,
 * renamed into place only when that matches. The content is secret output: never whole in
 * memory, never in a log, an event or the journal (a MySQL dump is the customer's data).
 */
import { createHash } from 'node:crypto';
import { closeSync, fchmodSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { TaskFailed, sh, privateDir, type ModuleContext } from '../../runner/module.ts';

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** base64 line length: a multiple of 4, so each line decodes on its own; long, so lines are few. */
const LINE = 48 * 1024;

/** Copies `src` to `dest` if its bytes hash to `wantSha256`; otherwise writes nothing and fails. */
export async function fetchVerified(
  ctx: ModuleContext,
  src: string,
  dest: string,
  wantSha256: string,
  mode = '0600',
): Promise<{ sha256: string; size: number }> {
  privateDir(dirname(dest));
  const tmp = `${dest}.tmp-${process.pid}`;
  const m = parseInt(mode, 8);
  const fd = openSync(tmp, 'w', m);
  const hash = createHash('sha256');
  let size = 0;
  try {
    fchmodSync(fd, m);
    await ctx.run(sh`base64 -w ${String(LINE)} < ${src}`, {
      secret: true,
      onStdoutLine: (line) => {
        const bytes = Buffer.from(line, 'base64');
        hash.update(bytes);
        size += bytes.length;
        writeSync(fd, bytes);
      },
    });
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  const got = hash.digest('hex');
  if (got !== wantSha256) {
    rmSync(tmp, { force: true });
    throw new TaskFailed(
      `${src} on ${ctx.host.name} changed or arrived damaged: SHA-256 ${got} (${size} B), the host said ${wantSha256}; nothing written`,
    );
  }
  renameSync(tmp, dest);
  return { sha256: got, size };
}
