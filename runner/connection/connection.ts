/**
 * What the runner needs of a host: run a command with its own stdin, get stdout, stderr and
 * the exit status back, stream output while it runs. SSH and the controller itself both do this.
 */

export interface ExecOptions {
  /** Sent on the command's stdin, then EOF. Without it, stdin is at EOF from the start. */
  stdin?: string | Buffer;
  /** Kill the command after this long (the task fails as timed out). */
  timeoutMs?: number;
  /** Each complete line of output as it arrives (for progress rows and logs). */
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** null when the process was killed by a signal or the link broke. */
  exitCode: number | null;
  signal?: string;
  durationMs: number;
  timedOut?: boolean;
}

export interface Connection {
  readonly kind: 'ssh' | 'local';
  /** The inventory name of the host. */
  readonly host: string;
  /** Where it is reached, for messages (`10.0.0.5:22`). */
  readonly address: string;
  /** The login user (decides whether `become` needs sudo). */
  readonly user: string;
  connect(): Promise<void>;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Drop the link (e.g. after a reboot); the next exec reconnects. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Splits a stream of chunks into lines for `onLine`, keeping the unfinished tail. */
export class LineSplitter {
  #rest = '';
  constructor(private readonly emit: (line: string) => void) {}
  push(chunk: string): void {
    const parts = (this.#rest + chunk).split('\n');
    this.#rest = parts.pop() ?? '';
    for (const p of parts) this.emit(p.replace(/\r$/, ''));
  }
  end(): void {
    if (this.#rest !== '') this.emit(this.#rest);
    this.#rest = '';
  }
}
