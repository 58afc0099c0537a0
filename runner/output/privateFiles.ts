/**
 * Files the runner writes hold host data (logs, journal, backups, dumps): folders 0700, files
 * 0600, whatever the umask. A mode given to mkdir or open is masked by the umask and ignored
 * for what already exists, so each is also set explicitly.
 */
import { chmodSync, closeSync, existsSync, fchmodSync, mkdirSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const PRIVATE_DIR = 0o700;
export const PRIVATE_FILE = 0o600;

/** `mkdir -p` where every folder created, and the folder itself, is 0700. */
export function privateDir(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d) && dirname(d) !== d; d = dirname(d)) missing.unshift(d);
  for (const d of missing) mkdirSync(d, { recursive: true, mode: PRIVATE_DIR });
  for (const d of [...new Set([...missing, dir])]) tryChmod(d, PRIVATE_DIR);
}

/** Opens for appending, created 0600 (an existing file is brought to 0600 too). */
export function openPrivate(file: string, flags = 'a', mode = PRIVATE_FILE): number {
  const fd = openSync(file, flags, mode);
  fchmodSync(fd, mode);
  return fd;
}

/** Writes the whole file atomically (temp file + rename), 0600 unless `mode` says otherwise. */
export function writePrivateFile(file: string, data: string | Uint8Array, mode = PRIVATE_FILE): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openPrivate(tmp, 'w', mode);
  try {
    writeFileSync(fd, data);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

function tryChmod(path: string, mode: number): void {
  try {
    chmodSync(path, mode);
  } catch {
    // not ours (a shared parent): what we create inside is still private
  }
}
