// Collects fault outcomes and writes the table the README links (tests/faults/RESULTS.md).
import { writeFileSync } from 'node:fs';

export interface FaultRow {
  fault: string;
  expected: string;
  observed: string;
  pass: boolean;
}

const rows: FaultRow[] = [];

export function record(row: FaultRow): void {
  rows.push(row);
}

export function writeResults(file = 'tests/faults/RESULTS.md', extra: FaultRow[] = []): void {
  const all = [...rows, ...extra];
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const text = [
    '# Fault suite results',
    '',
    `Written by \`npm run test:faults\` on ${new Date().toISOString()} (${all.filter((r) => r.pass).length} of ${all.length} pass).`,
    '',
    '| fault | expected | observed | result |',
    '|---|---|---|---|',
    ...all.map((r) => `| ${esc(r.fault)} | ${esc(r.expected)} | ${esc(r.observed)} | ${r.pass ? 'pass' : 'FAIL'} |`),
    '',
  ].join('\n');
  writeFileSync(file, text);
}
