// Raw outputs captured from real hosts (tests/fixtures/captured/capture.ts), by release and name.
import { readFileSync } from 'node:fs';

export const captured = (release: string, name: string): string =>
  readFileSync(new URL(`../../fixtures/captured/${release}/${name}.txt`, import.meta.url), 'utf8');
