// Collects fault outcomes and writes the table the README links (tests/faults/RESULTS.md).
import { writeFileSync } from 'node:fs';

export interface FaultRow {
  fault: string;
  expected: string;
  observed: string;
  pass: boolean;
}

const rows: FaultRow[] = [];

/** Faults that other suites provoke and assert; listed so the table is the one place to look. */
const ELSEWHERE: [string, string][] = [
  ['SSH link cut / frozen during a 20 s detached command: reattaches, real output and exit status', 'tests/ssh/transport-link.test.ts'],
  ['sshd of a host killed mid-task: unreachable within the keepalive bound, others finish (exit 4)', 'tests/ssh/transport-link.test.ts'],
  ['apt lists lock held by another process: waited for, then a clear error naming the holder', 'tests/lab/modules-upgrade.test.ts'],
  ['dpkg interrupted before the run: repaired with dpkg --configure -a, reported', 'tests/lab/modules-upgrade.test.ts'],
  ['wrong / missing sudo password, user not in sudoers: distinct errors', 'tests/ssh/transport-sudo.test.ts'],
  ['host key changed, unknown host (strict), connection refused, auth refused, handshake timeout', 'tests/ssh/transport-connect.test.ts'],
  [
    'sudo password, MySQL password, API token, Proxmox/vSphere secrets absent from logs, JSON events, journal, output',
    'tests/ssh/transport-sudo.test.ts, tests/lab/modules-mysql.test.ts, tests/lab/upgrade.test.ts, tests/lab/configure.test.ts, tests/controller/snapshot.test.ts',
  ],
  ['UCware API crash between delete and reassign: --resume finishes, no number lost', 'tests/lab/configure.test.ts'],
  ['a host failing preflight: untouched; the default stops the rollout', 'tests/lab/upgrade.test.ts'],
];

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
    '## Faults provoked by other test files (in `npm test`)',
    '',
    '| fault | where |',
    '|---|---|',
    ...ELSEWHERE.map(([f, w]) => `| ${f} | ${w} |`),
    '',
  ].join('\n');
  writeFileSync(file, text);
}
