/** `--json FILE`: every event as one JSON line (`-` for stdout), secrets masked. */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { mask } from '../secrets.ts';
import type { RunEvents } from './events.ts';

export function attachJson(events: RunEvents, file: string): void {
  const out = file === '-' ? (s: string) => process.stdout.write(s) : (s: string) => appendFileSync(file, s);
  if (file !== '-') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '');
  }
  events.on((e) => out(mask(JSON.stringify({ time: new Date().toISOString(), ...e })) + '\n'));
}
