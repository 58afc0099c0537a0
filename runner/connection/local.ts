/** The controller itself as a host (`connection: 'local'`), through execa. */
import { userInfo } from 'node:os';
import { LineSplitter, type BecomeSettings, type Connection, type ExecOptions, type ExecResult } from './connection.ts';

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
      encoding: 'utf8',
      stripFinalNewline: false,
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
    if (options.onData) {
      child.stdout?.on('data', (d: Buffer) => options.onData!('stdout', Buffer.from(d)));
      child.stderr?.on('data', (d: Buffer) => options.onData!('stderr', Buffer.from(d)));
    }
    if (options.onLine) {
      const out = new LineSplitter((l) => options.onLine!('stdout', l));
      const err = new LineSplitter((l) => options.onLine!('stderr', l));
      child.stdout?.on('data', (d: Buffer) => out.push(d.toString()));
      child.stderr?.on('data', (d: Buffer) => err.push(d.toString()));
      child.stdout?.on('end', () => out.end());
      child.stderr?.on('end', () => err.end());
    }
    const r = await child;
    return {
      stdout: String(r.stdout ?? ''),
      stderr: String(r.stderr ?? ''),
      exitCode: r.exitCode ?? null,
      signal: r.signal ?? undefined,
      durationMs: Date.now() - started,
      timedOut: r.timedOut,
    };
  }

  async reset(): Promise<void> {}
  async close(): Promise<void> {}
}
