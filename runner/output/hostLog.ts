/**
 * Per-host logs (`logs/<run>/<host>.log`): every task, every command as run, its full
 * stdout and stderr line by line as they come (`out| `, `err| `; secret stdout never reaches
 * here), exit code and duration — the record an admin reads after the fact. File diffs only
 * with --diff: a diff shows content, and content can be a licence.
 */
import { join } from 'node:path';
import { appender, type Appender } from './appender.ts';
import { privateDir } from './privateFiles.ts';
import { mask } from '../model/secrets.ts';
import { unifiedDiff } from './diff.ts';
import type { RunEvent, RunEvents } from './events.ts';

const PREFIX = { stdout: 'out| ', stderr: 'err| ', info: 'info| ' } as const;

export function attachHostLogs(events: RunEvents, dir: string, o: { diff?: boolean } = {}): void {
  privateDir(dir);
  const logs = new Map<string, Appender>();
  const write = (host: string, text: string) => {
    let log = logs.get(host);
    if (!log) logs.set(host, (log = appender(join(dir, `${host}.log`))));
    log.write(mask(text));
  };
  const ts = () => new Date().toISOString();
  events.on((e: RunEvent) => {
    switch (e.type) {
      case 'run:start':
        for (const h of e.hosts)
          write(
            h,
            `${ts()} run ${e.runId}: playbook ${e.playbook}, inventory ${e.inventory}${e.check ? ' (check mode)' : ''}, channel strategy ${e.strategy}\n`,
          );
        break;
      case 'task:start':
        write(e.host, `\n${ts()} TASK [${e.task}] (${e.module}, ${e.taskId})\n`);
        break;
      case 'cmd:start':
        write(e.host, `${ts()} $ ${e.become ? '(become) ' : ''}${e.command}\n`);
        break;
      case 'task:output':
        write(e.host, `${PREFIX[e.stream]}${e.line}\n`);
        break;
      case 'cmd:done':
        write(
          e.host,
          `${ts()} exit ${e.exitCode ?? e.signal ?? 'unknown'} in ${e.durationMs} ms${e.secret ? ' (stdout is secret: not logged)' : ''}\n`,
        );
        break;
      case 'task:done': {
        const diff = o.diff ? e.diff?.map(unifiedDiff).join('\n') : undefined;
        write(
          e.host,
          `${ts()} ${e.status.toUpperCase()}: ${e.task} — ${e.reason}${e.error && e.error !== e.reason ? `\n${e.error}` : ''} (${e.durationMs} ms)\n${diff ? diff + '\n' : ''}`,
        );
        break;
      }
      case 'warn':
        if (e.host) write(e.host, `${ts()} WARNING: ${e.message}\n`);
        break;
      case 'pending':
        write(e.host, `${ts()} PENDING (manual): ${e.message}\n`);
        break;
      case 'host:done':
        write(e.host, `\n${ts()} host done: ${e.status} ${JSON.stringify(e.counts)}\n`);
        break;
      case 'run:done':
        for (const log of logs.values()) log.close();
        break;
    }
  });
}
