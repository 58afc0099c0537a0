/** `--json FILE`: every event as one JSON line (`-` for stdout), secrets masked; file diffs only with --diff. */
import { closeSync } from 'node:fs';
import { openPrivate, privateDir } from './privateFiles.ts';
import { dirname } from 'node:path';
import { appender } from './appender.ts';
import { maskedJson } from '../model/secrets.ts';
import type { RunEvents } from './events.ts';

export function attachJson(events: RunEvents, file: string, o: { diff?: boolean } = {}): void {
  if (file !== '-') {
    privateDir(dirname(file));
    closeSync(openPrivate(file, 'w'));
  }
  const toFile = file === '-' ? undefined : appender(file);
  const out = toFile ? (s: string) => toFile.write(s) : (s: string) => process.stdout.write(s);
  events.on((e) => {
    const shown = e.type === 'task:done' && e.diff && !o.diff ? { ...e, diff: undefined } : e;
    out(maskedJson({ time: new Date().toISOString(), ...shown }) + '\n');
  });
}
