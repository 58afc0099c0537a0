/** The PLAY RECAP table, column for column as Ansible prints it, and the exit code. */
import type { RecapCounts } from './events.ts';

export const emptyCounts = (): RecapCounts => ({ ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });

export function formatRecap(recap: Record<string, RecapCounts>, color = false): string {
  const lines = ['PLAY RECAP ' + '*'.repeat(60)];
  for (const [host, c] of Object.entries(recap)) {
    const cols =
      `ok=${pad(c.ok)} changed=${pad(c.changed)} unreachable=${pad(c.unreachable)} failed=${pad(c.failed)} ` +
      `skipped=${pad(c.skipped)} rescued=${pad(c.rescued)} ignored=${pad(c.ignored)}`;
    const name = host.padEnd(26);
    const paint = !color ? '' : c.failed || c.unreachable ? '\x1b[31m' : c.changed ? '\x1b[33m' : '\x1b[32m';
    lines.push(`${paint}${name}${color ? '\x1b[0m' : ''} : ${cols}`.trimEnd());
  }
  return lines.join('\n');
}

const pad = (n: number) => String(n).padEnd(4);

/** 0 all well · 2 a task failed · 4 a host unreachable (or-ed, as Ansible's TaskQueueManager). */
export function exitCodeOf(recap: Record<string, RecapCounts>, stopped: boolean): number {
  let code = 0;
  for (const c of Object.values(recap)) {
    if (c.failed) code |= 2;
    if (c.unreachable) code |= 4;
  }
  if (stopped && code === 0) code = 2;
  return code;
}
