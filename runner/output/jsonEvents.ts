/** `--json FILE`: every event as one JSON line (`-` for stdout), secrets masked; file diffs only with --diff. The schema (version `v`) is docs/events.schema.json. */
import { closeSync } from 'node:fs';
import { openPrivate, privateDir } from './privateFiles.ts';
import { dirname } from 'node:path';
import { appender } from './appender.ts';
import { maskedJson } from '../model/secrets.ts';
import type { RunEvents } from './events.ts';

/** docs/events.schema.json's version: raised when a field is removed or changes meaning. */
export const EVENTS_SCHEMA_VERSION = 1;

export function attachJson(events: RunEvents, file: string, o: { diff?: boolean } = {}): void {
  if (file !== '-') {
    privateDir(dirname(file));
    closeSync(openPrivate(file, 'w'));
  }
  const toFile = file === '-' ? undefined : appender(file);
  const out = toFile ? (s: string) => toFile.write(s) : (s: string) => process.stdout.write(s);
  events.on((e) => {
    const shown = e.type === 'task:done' && e.diff && !o.diff ? { ...e, diff: undefined } : e;
    out(maskedJson({ v: EVENTS_SCHEMA_VERSION, time: new Date().toISOString(), ...shown }) + '\n');
  });
}
