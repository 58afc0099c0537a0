/** The controller itself as a host (`connection: 'local'`), through execa. */
import { userInfo } from 'node:os';
import { Capture } from './lines.ts';
import type { BecomeSettings, Connection, ExecOptions, ExecResult } from './connection.ts';

export class LocalConnection implements Connection {
  readonly kind = 'local' as const;
  readonly address = 'localhost';
  readonly user = userInfo().username;
  become?: BecomeSettings;
  constructor(readonly host: string) {}

  async connect(): Promise<void> {}

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const started = Date.now();
    // Loaded on first use: execa costs ~80 ms of start-up, and most runs have no local host.
    const { execa } = await import('execa');
    const child = execa('/bin/sh', ['-c', command], {
      ...(options.interact ? { stdin: 'pipe' as const } : { input: options.stdin ?? '' }),
      reject: false,
      timeout: options.timeoutMs,
      // The output is the capture's: one copy, decoded once.
      buffer: false,
    });
    if (options.interact) {
      const stdin = child.stdin!;
      stdin.on('error', () => undefined); // EPIPE when the command exits before reading everything
      options.interact({
        write: (d) => void stdin.write(d),
        end: (d) => void stdin.end(d),
        kill: () => void child.kill('SIGKILL'),
      });
    }
    const capture = new Capture(options);
    child.stdout?.on('data', (d: Buffer) => capture.push('stdout', d));
    child.stderr?.on('data', (d: Buffer) => capture.push('stderr', d));
    const r = await child;
    capture.end();
    capture.check(this.host, command);
    return {
      ...capture.result(),
      exitCode: r.exitCode ?? null,
      signal: r.signal ?? undefined,
      durationMs: Date.now() - started,
      timedOut: r.timedOut,
    };
  }

  async reset(): Promise<void> {}
  async close(): Promise<void> {}
}
