/** `--json FILE`: every event as one JSON line (`-` for stdout), secrets masked. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { appender } from './appender.ts';
import { maskedJson } from '../model/secrets.ts';
import type { RunEvents } from './events.ts';

export function attachJson(events: RunEvents, file: string): void {
  if (file !== '-') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '');
  }
  const toFile = file === '-' ? undefined : appender(file);
  const out = toFile ? (s: string) => toFile.write(s) : (s: string) => process.stdout.write(s);
  events.on((e) => out(maskedJson({ time: new Date().toISOString(), ...e }) + '\n'));
}
