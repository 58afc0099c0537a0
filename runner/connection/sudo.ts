/**
 * Privilege escalation for `become` tasks, following Ansible's sudo state machine (peers.md §1.10).
 * The command runs as `sudo … sh -c 'echo <success marker>; <line>'`, so the whole line (pipes,
 * redirections) runs as root and nothing secret is on it. With a password, sudo gets `-S` and a
 * random prompt: the password is written to its stdin only once that prompt appears on stderr,
 * and the task's own stdin (SQL, file content) only after the success marker on stdout. The
 * prompt and the marker are cut from what the module sees. The password never reaches argv, a
 * remote environment, or any output.
 */
import { randomBytes } from 'node:crypto';
import { RunnerError } from '../model/errors.ts';
import { quote } from '../model/shell.ts';
import type { Connection, ExecOptions, ExecResult, StdinWriter } from './connection.ts';
import { Capture } from './lines.ts';

/** A sudo negotiation that failed; says which way, on which host, for which user. */
export class BecomeError extends RunnerError {
  constructor(
    readonly host: string,
    readonly reason: 'wrong-password' | 'password-required' | 'not-allowed' | 'timeout' | 'no-sudo' | 'failed',
    message: string,
  ) {
    super(`${host}: ${message}`);
  }
}

const NEEDS_PASSWORD = /a password is required|a terminal is required|no password was provided|no tty present/;
const WRONG_PASSWORD = /Sorry, try again|incorrect password attempt/;
const NOT_ALLOWED = /is not in the sudoers file|is not allowed to execute|may not run sudo|not allowed to run sudo/;

export interface BecomeLine {
  line: string;
  prompt: string;
  success: string;
}

/** The sudo line for `line`; `-n` (never ask) when no password is known. Exported for tests. */
export function becomeCommand(line: string, withPassword: boolean, id = randomBytes(8).toString('hex')): BecomeLine {
  const prompt = `[sudo via ucw-runner, key=${id}] password:`;
  const success = `BECOME-SUCCESS-${id}`;
  // A newline, not `;`, before the line: a line that starts with a comment must still run.
  const inner = `echo ${success}\n${line}`;
  const flags = withPassword ? `-S -p ${quote(prompt)}` : '-n';
  return { line: `sudo ${flags} -H -- sh -c ${quote(inner)}`, prompt, success };
}

/**
 * Runs `line` as root on `conn`. Root logins run it directly. Throws BecomeError when sudo
 * itself refuses; a command that runs and fails comes back as a normal result.
 */
export async function execAsRoot(conn: Connection, line: string, options: ExecOptions = {}): Promise<ExecResult> {
  if (conn.user === 'root') return conn.exec(line, options);
  // The persistent strategy keeps one root shell per host, opened through sudo once.
  if (conn.execAsRoot && !options.interact) {
    const res = await conn.execAsRoot(line, options);
    if (res) return res;
  }
  const b = becomeCommand(line, conn.become?.password !== undefined);
  const capture = new Capture(options);
  let stdin: StdinWriter | undefined;
  const io: SudoIO = {
    write: (d) => stdin?.write(d),
    kill: () => {
      stdin?.end();
      stdin?.kill();
    },
  };
  const dialog = new SudoDialog(conn, b, io, (rest, lecture) => {
    capture.push('stdout', rest);
    // Whatever sudo printed on stderr before (a lecture, never the prompt) belongs to the output.
    capture.push('stderr', lecture);
    if (options.stdin !== undefined) stdin!.end(options.stdin);
    else stdin!.end();
  });
  const sudoOptions: ExecOptions = {
    timeoutMs: options.timeoutMs,
    // The output is this capture's; the inner result only needs its status.
    keep: 'bounded',
    keepBytes: 4096,
    interact: (w) => {
      stdin = w;
      dialog.start();
    },
    onData: (stream, chunk) => (dialog.escalated ? capture.push(stream, chunk) : dialog.onData(stream, chunk)),
  };
  // finally: a dropped link rejects, and no escalation timer may outlive it.
  const res = await conn.exec(b.line, sudoOptions).finally(() => dialog.stop());
  capture.end();
  if (dialog.failure) throw dialog.failure;
  if (!dialog.escalated) throw noEscalation(conn, dialog.said(), res.exitCode, res.signal);
  capture.check(conn.host, line);
  const { cut: _inner, ...status } = res;
  return { ...status, ...capture.result() };
}

type Who = Pick<Connection, 'host' | 'user' | 'become'>;

/** Why sudo ended without running anything: what it said, classified. */
function noEscalation(conn: Who, said: string, exitCode: number | null, signal?: string): BecomeError {
  const settings = conn.become ?? {};
  if (WRONG_PASSWORD.test(said))
    return new BecomeError(conn.host, 'wrong-password', `incorrect sudo password for ${conn.user} (from ${settings.passwordSource})`);
  if (NOT_ALLOWED.test(said))
    return new BecomeError(conn.host, 'not-allowed', `${conn.user} may not use sudo (not in sudoers): ${lastLine(said)}`);
  if (NEEDS_PASSWORD.test(said)) {
    return new BecomeError(
      conn.host,
      'password-required',
      `sudo needs a password for ${conn.user} and none was given: ${settings.passwordSource ?? 'set becomePasswordEnv in the inventory or use --ask-become-pass'}`,
    );
  }
  if (exitCode === 127)
    return new BecomeError(conn.host, 'no-sudo', `sudo is not installed (become as ${conn.user} needs it): ${lastLine(said)}`);
  return new BecomeError(
    conn.host,
    'failed',
    `sudo failed as ${conn.user} (exit ${exitCode ?? signal}): ${lastLine(said) || 'no message'}`,
  );
}

/** A raw channel running a `becomeCommand` line, for `sudoHandshake`. */
export interface SudoIO {
  write(data: string): void;
  kill(): void;
}

/**
 * sudo's side of the exchange, before it runs anything: the password is written once, only
 * after sudo's own prompt; a second prompt or its "try again" is a wrong password; the success
 * marker on stdout means escalated (what follows it is the command's). Fed only until then.
 */
class SudoDialog {
  escalated = false;
  failure?: BecomeError;
  #preOut = Buffer.alloc(0);
  #preErr = Buffer.alloc(0);
  #prompts = 0;
  #timer?: NodeJS.Timeout;
  readonly #success: Buffer;

  constructor(
    private readonly conn: Who,
    private readonly b: BecomeLine,
    private readonly io: SudoIO,
    private readonly onEscalated: (stdoutRest: Buffer, stderrBefore: Buffer) => void,
    private readonly onFailed: (e: BecomeError) => void = () => {},
  ) {
    this.#success = Buffer.from(b.success + '\n');
  }

  start(): void {
    const timeoutMs = this.conn.become?.timeoutMs ?? 12_000;
    const e = () =>
      new BecomeError(
        this.conn.host,
        'timeout',
        `timed out after ${timeoutMs / 1000} s waiting for sudo (no prompt and no success marker) as ${this.conn.user}`,
      );
    this.#timer = setTimeout(() => this.fail(e()), timeoutMs);
  }

  stop(): void {
    clearTimeout(this.#timer);
  }

  fail(e: BecomeError): void {
    if (this.escalated || this.failure) return;
    this.failure = e;
    this.stop();
    this.io.kill();
    this.onFailed(e);
  }

  onData(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    if (this.escalated || this.failure) return;
    if (stream === 'stdout') {
      this.#preOut = Buffer.concat([this.#preOut, chunk]);
      const at = this.#preOut.indexOf(this.#success);
      if (at < 0) return;
      this.escalated = true;
      this.stop();
      const lecture = this.#preErr.toString().split(this.b.prompt).join('');
      this.onEscalated(this.#preOut.subarray(at + this.#success.length), Buffer.from(/^\s+$/.test(lecture) ? '' : lecture));
      return;
    }
    this.#preErr = Buffer.concat([this.#preErr, chunk]);
    const text = this.#preErr.toString();
    const seen = text.split(this.b.prompt).length - 1;
    const password = this.conn.become?.password;
    if (seen > this.#prompts) {
      this.#prompts = seen;
      if (seen === 1 && password !== undefined) this.io.write(password + '\n');
      else this.fail(this.#wrong());
    } else if (WRONG_PASSWORD.test(text)) this.fail(this.#wrong());
  }

  /** The channel ended before escalation. */
  ended(exitCode: number | null, signal?: string): void {
    this.fail(noEscalation(this.conn, this.said(), exitCode, signal));
  }

  /** What sudo said on stderr, without its prompts. */
  said(): string {
    return this.#preErr.toString().split(this.b.prompt).join('').trim();
  }

  #wrong(): BecomeError {
    const from = this.conn.become?.passwordSource ?? 'the configured source';
    return new BecomeError(this.conn.host, 'wrong-password', `incorrect sudo password for ${this.conn.user} (from ${from})`);
  }
}

/**
 * The same prompt/marker exchange as execAsRoot, for a long-lived root shell: feed it the
 * channel's output until `done` resolves (the success marker seen: from then on the channel
 * belongs to what sudo started) or rejects with a BecomeError. Call `ended` when the channel
 * ends.
 */
export function sudoHandshake(
  conn: Who,
  b: BecomeLine,
  io: SudoIO,
): {
  onData(stream: 'stdout' | 'stderr', chunk: Buffer): void;
  ended(exitCode: number | null, signal?: string): void;
  done: Promise<void>;
} {
  let dialog!: SudoDialog;
  const done = new Promise<void>((resolve, reject) => {
    dialog = new SudoDialog(conn, b, io, () => resolve(), reject);
  });
  dialog.start();
  return { done, onData: (stream, chunk) => dialog.onData(stream, chunk), ended: (code, sig) => dialog.ended(code, sig) };
}

const lastLine = (s: string) =>
  s
    .split('\n')
    .filter((l) => l.trim())
    .at(-1) ?? '';
