/**
 * Appends to a file through one descriptor kept open. Each write is in the file at once, so a
 * killed run loses nothing, without an open and a close per line (the per-host logs, the
 * journal and --json write several lines per task: 12 000 opens at 100 hosts × 20 tasks).
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export interface Appender {
  write(text: string): void;
  close(): void;
}

export function appender(file: string): Appender {
  let fd: number | undefined;
  return {
    write(text) {
      fd ??= openSync(file, 'a');
      writeSync(fd, text);
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
