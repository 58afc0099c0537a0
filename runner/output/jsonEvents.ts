/** `--json FILE`: every event as one JSON line (`-` for stdout), secrets masked; the schema (version `v`) is docs/events.schema.json. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { appender } from './appender.ts';
import { mask } from '../model/secrets.ts';
import type { RunEvents } from './events.ts';

/** docs/events.schema.json's version: raised when a field is removed or changes meaning. */
export const EVENTS_SCHEMA_VERSION = 1;

export function attachJson(events: RunEvents, file: string): void {
  if (file !== '-') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '');
  }
  const toFile = file === '-' ? undefined : appender(file);
  const out = toFile ? (s: string) => toFile.write(s) : (s: string) => process.stdout.write(s);
  events.on((e) => out(mask(JSON.stringify({ v: EVENTS_SCHEMA_VERSION, time: new Date().toISOString(), ...e })) + '\n'));
}
