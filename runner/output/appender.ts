/**
 * Appends to a file through one descriptor kept open. Each write is in the file at once, so a
 * killed run loses nothing, without an open and a close per line (the per-host logs, the
 * journal and --json write several lines per task: 12 000 opens at 100 hosts × 20 tasks).
 * Files are 0600: they hold host data.
 */
import { closeSync, writeSync } from 'node:fs';
import { openPrivate } from './privateFiles.ts';

export interface Appender {
  write(text: string): void;
  close(): void;
}

export function appender(file: string): Appender {
  let fd: number | undefined;
  return {
    write(text) {
      fd ??= openPrivate(file);
      writeSync(fd, text);
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
