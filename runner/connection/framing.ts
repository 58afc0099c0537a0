/**
 * The persistent channel's wire format (the protocol itself is described in shellChannel.ts):
 * a task encoded as the servers read it, and one task's answer decoded — the pid line, the output
 * cut at its end markers, the status.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:os';
import type { ArgvCommand } from './connection.ts';
import type { Capture } from './lines.ts';

/** glibc's strsignal() texts, as `jobs` prints them, back to signal names. */
const SIGNAL_TEXT: [RegExp, string][] = [
  [/^Hangup/, 'SIGHUP'],
  [/^Interrupt/, 'SIGINT'],
  [/^Quit/, 'SIGQUIT'],
  [/^Illegal instruction/, 'SIGILL'],
  [/^Trace\/breakpoint trap/, 'SIGTRAP'],
  [/^Abort/, 'SIGABRT'],
  [/^Bus error/, 'SIGBUS'],
  [/^Floating point exception/, 'SIGFPE'],
  [/^Killed/, 'SIGKILL'],
  [/^User defined signal 1/, 'SIGUSR1'],
  [/^Segmentation fault/, 'SIGSEGV'],
  [/^User defined signal 2/, 'SIGUSR2'],
  [/^Broken pipe/, 'SIGPIPE'],
  [/^Alarm clock/, 'SIGALRM'],
  [/^Terminated/, 'SIGTERM'],
  [/^Stack fault/, 'SIGSTKFLT'],
  [/^CPU time limit exceeded/, 'SIGXCPU'],
  [/^File size limit exceeded/, 'SIGXFSZ'],
  [/^Virtual timer expired/, 'SIGVTALRM'],
  [/^Profiling timer expired/, 'SIGPROF'],
  [/^I\/O possible/, 'SIGIO'],
  [/^Power failure/, 'SIGPWR'],
  [/^Bad system call/, 'SIGSYS'],
  [/^Signal (\d+)/, 'SIG$1'],
];

/** Reads the loop's status field: `{ exitCode }` or `{ signal }`. Exported for the unit tests. */
export function parseStatus(field: string): { exitCode: number | null; signal?: string } {
  const x = /^x (\d+)$/.exec(field);
  if (x) return { exitCode: Number(x[1]) };
  // The task agent's waitpid: a signal number (Linux numbering on both ends).
  const s = /^s (\d+)$/.exec(field);
  if (s) {
    const n = Number(s[1]);
    const name = Object.entries(constants.signals).find(([, v]) => v === n)?.[0];
    return { exitCode: null, signal: name ?? `SIG${n}` };
  }
  // `[1] + 1234 Done(3)` (dash), `[1]+ 1234 Exit 3 …` (bash-like job lists)
  const m = /^\[\d+\]\s*[+-]?\s*\d+\s+(.*)$/.exec(field.trim());
  const text = (m ? m[1]! : field).trim();
  const done = /^(?:Done|Exit)(?:\s*\((\d+)\)|\s+(\d+))?/.exec(text);
  if (done) return { exitCode: Number(done[1] ?? done[2] ?? 0) };
  for (const [re, name] of SIGNAL_TEXT) {
    const sig = re.exec(text);
    if (sig) return { exitCode: null, signal: name.replace('$1', sig[1] ?? '') };
  }
  return { exitCode: null, signal: 'SIGUNKNOWN' };
}

/** A task's own nonce: its status lines carry it, so no other task's line (late or forged) can end it. */
export const taskNonce = () => `UCW-${randomBytes(16).toString('hex')}`;

/**
 * Encodes one task as the servers read it: `<lines> <stdin bytes> <timeout s|0> <nonce>[ a]`,
 * the lines, the stdin. A shell line travels as its lines. An argv (the task agent only; ` a`
 * ends the header) travels as one text, `chdir NUL arg0 NUL arg1 …`, cut into lines the same way:
 * NUL cannot occur in an execve argument, so nothing needs escaping.
 */
export function frameTask(command: string | ArgvCommand, stdin: Buffer, nonce: string, timeoutMs?: number): Buffer {
  const text = typeof command === 'string' ? command : argvText(command);
  const lines = text.split('\n');
  const t = timeoutMs !== undefined && timeoutMs > 0 ? (Math.max(timeoutMs, 1) / 1000).toFixed(3) : '0';
  const form = typeof command === 'string' ? '' : ' a';
  return Buffer.concat([Buffer.from(`${lines.length} ${stdin.length} ${t} ${nonce}${form}\n${text}\n`), stdin]);
}

function argvText(c: ArgvCommand): string {
  if (c.argv.length === 0) throw new Error('argv is empty');
  for (const a of [c.chdir ?? '', ...c.argv]) if (a.includes('\0')) throw new Error(`argv: NUL in ${JSON.stringify(a)}`);
  return [c.chdir ?? '', ...c.argv].join('\0');
}

/** Cuts one framed stream (stdout or stderr) at its end marker, passing the rest on as it comes. */
export class FrameReader {
  #pending = Buffer.alloc(0);
  #done = false;
  readonly #marker: Buffer;
  constructor(
    marker: string,
    private readonly emit: (chunk: Buffer) => void,
    /** A newline is held back (output's own or the marker's): either way a line ended there. */
    private readonly held: () => void = () => {},
  ) {
    this.#marker = Buffer.from(`\n${marker}`);
  }
  get done(): boolean {
    return this.#done;
  }
  /** Returns what followed the marker (up to its end of line) once it is complete, else undefined. */
  push(d: Buffer): string | undefined {
    if (this.#done) return undefined;
    const buf = this.#pending.length ? Buffer.concat([this.#pending, d]) : d;
    const at = buf.indexOf(this.#marker);
    if (at >= 0) {
      const nl = buf.indexOf(0x0a, at + this.#marker.length);
      if (nl < 0) {
        // The marker line is not complete yet: hand out what is before it, keep the rest.
        this.#out(buf.subarray(0, at));
        this.#pending = Buffer.from(buf.subarray(at));
        return undefined;
      }
      this.#out(buf.subarray(0, at));
      this.#pending = Buffer.alloc(0);
      this.#done = true;
      return buf.subarray(at + this.#marker.length, nl).toString();
    }
    // Keep back what could be the start of a marker split across chunks (it begins with \n).
    const nl = buf.lastIndexOf(0x0a);
    const tail = nl >= 0 ? buf.subarray(nl) : undefined;
    const cut = tail && tail.length < this.#marker.length && this.#marker.subarray(0, tail.length).equals(tail) ? nl : buf.length;
    this.#out(buf.subarray(0, cut));
    this.#pending = Buffer.from(buf.subarray(cut));
    if (this.#pending.length) this.held();
    return undefined;
  }
  #out(b: Buffer): void {
    if (b.length > 0) this.emit(Buffer.from(b));
  }
}

/** The task agent's stderr: passed on as it comes; its end is known by its length. */
export class CountedStream {
  bytes = 0;
  constructor(private readonly emit: (chunk: Buffer) => void) {}
  push(d: Buffer): void {
    this.bytes += d.length;
    this.emit(Buffer.from(d));
  }
}

export interface TaskStatus {
  exitCode: number | null;
  signal?: string;
  timedOut: boolean;
}

/**
 * One task's answer on the channel: `<N> P <pid>` first, then the output up to the end markers,
 * then the status; `<N>` is this task's nonce. Anything else where the pid line belongs (a late
 * line of an earlier task, a forged one) breaks the channel: the task fails, it never takes a
 * status that is not its own.
 */
export class TaskReader {
  pid?: number;
  #head = Buffer.alloc(0);
  #status?: string;
  readonly #out: FrameReader;
  readonly #err: FrameReader | CountedStream;

  constructor(
    private readonly marker: string,
    server: 'agent' | 'sh',
    capture: Capture,
    private readonly done: (status: TaskStatus) => void,
    private readonly broken: (why: string) => void,
  ) {
    this.#out = new FrameReader(
      `${marker} X `,
      (c) => capture.push('stdout', c),
      () => capture.held('stdout'),
    );
    // The sh loop ends stderr with a marker; the agent sends no marker but the byte count of
    // stderr with the status (one SSH packet fewer per task), so stderr is whole once that many
    // bytes arrived, whichever of the two streams sshd passes on first.
    const onErr = (c: Buffer) => capture.push('stderr', c);
    this.#err = server === 'agent' ? new CountedStream(onErr) : new FrameReader(`${marker} E`, onErr, () => capture.held('stderr'));
  }

  stdout(d: Buffer): void {
    if (this.pid === undefined) {
      // `<N> P <pid>\n` comes first, before any of the task's output.
      this.#head = Buffer.concat([this.#head, d]);
      const nl = this.#head.indexOf(0x0a);
      if (nl < 0 && this.#head.length > 4096) return this.broken('protocol error: no pid line');
      if (nl < 0) return;
      const line = this.#head.subarray(0, nl).toString();
      const p = new RegExp(`^${this.marker} P (\\d+)$`).exec(line);
      if (!p) return this.broken(`protocol error: unexpected ${JSON.stringify(line.slice(0, 80))}`);
      this.pid = Number(p[1]);
      d = this.#head.subarray(nl + 1);
      this.#head = Buffer.alloc(0);
      if (d.length === 0) return;
    }
    const s = this.#out.push(d);
    if (s === undefined) return;
    this.#status = s;
    this.#maybeDone();
  }

  stderr(d: Buffer): void {
    this.#err.push(d);
    this.#maybeDone();
  }

  #maybeDone(): void {
    if (this.#status === undefined) return;
    const m = /^(\d) (.*?)(?: ~(\d+))?$/.exec(this.#status);
    if (this.#err instanceof CountedStream ? this.#err.bytes < Number(m?.[3] ?? 0) : !this.#err.done) return;
    if (m?.[1] === '1') return this.done({ exitCode: null, signal: 'SIGKILL', timedOut: true });
    const st = parseStatus(m?.[2] ?? '');
    this.done({ exitCode: st.exitCode, signal: st.signal, timedOut: false });
  }
}
