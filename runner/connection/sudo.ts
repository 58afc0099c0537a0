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
import { StringDecoder } from 'node:string_decoder';
import { RunnerError } from '../model/errors.ts';
import { quote } from '../model/shell.ts';
import { LineSplitter, type Connection, type ExecOptions, type ExecResult } from './connection.ts';

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
  const settings = conn.become ?? {};
  const password = settings.password;
  const b = becomeCommand(line, password !== undefined);
  const timeoutMs = settings.timeoutMs ?? 12_000;

  let escalated = false;
  let prompts = 0;
  let failure: BecomeError | undefined;
  let preOut = '';
  let preErr = '';
  const out: string[] = [];
  const err: string[] = [];
  const lines = options.onLine && {
    out: new LineSplitter((l) => options.onLine!('stdout', l)),
    err: new LineSplitter((l) => options.onLine!('stderr', l)),
  };
  // Chunks may split a UTF-8 character (apt's German messages): decode per stream, not per chunk.
  const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  let stdin: Parameters<NonNullable<ExecOptions['interact']>>[0] | undefined;
  let timer: NodeJS.Timeout | undefined;

  const fail = (reason: BecomeError['reason'], message: string) => {
    failure ??= new BecomeError(conn.host, reason, message);
    clearTimeout(timer);
    stdin?.end();
    stdin?.kill();
  };
  const emit = (stream: 'stdout' | 'stderr', text: string) => {
    if (text === '') return;
    (stream === 'stdout' ? out : err).push(text);
    lines?.[stream === 'stdout' ? 'out' : 'err'].push(text);
  };
  const onEscalated = (rest: string) => {
    escalated = true;
    clearTimeout(timer);
    emit('stdout', rest);
    // Whatever sudo printed on stderr before (a lecture, never the prompt) belongs to the output.
    emit('stderr', preErr.split(b.prompt).join('').replace(/^\s+$/, ''));
    preErr = '';
    if (options.stdin !== undefined) stdin!.end(options.stdin);
    else stdin!.end();
  };

  const sudoOptions: ExecOptions = {
    timeoutMs: options.timeoutMs,
    interact: (w) => {
      stdin = w;
      timer = setTimeout(
        () => fail('timeout', `timed out after ${timeoutMs / 1000} s waiting for sudo (no prompt and no success marker) as ${conn.user}`),
        timeoutMs,
      );
    },
    onData: (stream, chunk) => {
      const text = decoders[stream].write(chunk);
      if (escalated) return emit(stream, text);
      if (failure) return;
      if (stream === 'stdout') {
        preOut += text;
        const at = preOut.indexOf(b.success + '\n');
        if (at >= 0) onEscalated(preOut.slice(at + b.success.length + 1));
        return;
      }
      preErr += text;
      const seen = preErr.split(b.prompt).length - 1;
      if (seen > prompts) {
        prompts = seen;
        if (prompts === 1 && password !== undefined) stdin!.write(password + '\n');
        else fail('wrong-password', `incorrect sudo password for ${conn.user} (from ${settings.passwordSource ?? 'the configured source'})`);
      } else if (WRONG_PASSWORD.test(preErr)) {
        fail('wrong-password', `incorrect sudo password for ${conn.user} (from ${settings.passwordSource ?? 'the configured source'})`);
      }
    },
  };
  // finally: a dropped link rejects, and no escalation timer may outlive it.
  const res = await conn.exec(b.line, sudoOptions).finally(() => clearTimeout(timer));
  if (escalated) for (const st of ['stdout', 'stderr'] as const) emit(st, decoders[st].end());
  lines?.out.end();
  lines?.err.end();
  if (failure) throw failure;
  if (!escalated) throw noEscalation(conn, preErr.split(b.prompt).join('').trim(), res.exitCode, res.signal);
  return { ...res, stdout: out.join(''), stderr: err.join('') };
}

type Who = Pick<Connection, 'host' | 'user' | 'become'>;

/** Why sudo ended without running anything: what it said, classified. */
function noEscalation(conn: Who, said: string, exitCode: number | null, signal?: string): BecomeError {
  const settings = conn.become ?? {};
  if (WRONG_PASSWORD.test(said)) return new BecomeError(conn.host, 'wrong-password', `incorrect sudo password for ${conn.user} (from ${settings.passwordSource})`);
  if (NOT_ALLOWED.test(said)) return new BecomeError(conn.host, 'not-allowed', `${conn.user} may not use sudo (not in sudoers): ${lastLine(said)}`);
  if (NEEDS_PASSWORD.test(said)) {
    return new BecomeError(conn.host, 'password-required', `sudo needs a password for ${conn.user} and none was given: ${settings.passwordSource ?? 'set becomePasswordEnv in the inventory or use --ask-become-pass'}`);
  }
  if (exitCode === 127) return new BecomeError(conn.host, 'no-sudo', `sudo is not installed (become as ${conn.user} needs it): ${lastLine(said)}`);
  return new BecomeError(conn.host, 'failed', `sudo failed as ${conn.user} (exit ${exitCode ?? signal}): ${lastLine(said) || 'no message'}`);
}

/** A raw channel running a `becomeCommand` line, for `sudoHandshake`. */
export interface SudoIO {
  write(data: string): void;
  kill(): void;
}

/**
 * The same prompt/marker exchange as execAsRoot, for a long-lived root shell: feed it the
 * channel's output until `done` resolves (the success marker seen: from then on the channel
 * belongs to what sudo started) or rejects with a BecomeError. Call `ended` when the channel
 * ends. The password is written once, only after sudo's own prompt.
 */
export function sudoHandshake(conn: Who, b: BecomeLine, io: SudoIO): {
  onData(stream: 'stdout' | 'stderr', chunk: Buffer): void;
  ended(exitCode: number | null, signal?: string): void;
  done: Promise<void>;
} {
  const settings = conn.become ?? {};
  const password = settings.password;
  const timeoutMs = settings.timeoutMs ?? 12_000;
  let preOut = '';
  let preErr = '';
  let prompts = 0;
  let settled = false;
  let resolve!: () => void;
  let reject!: (e: BecomeError) => void;
  const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  const fail = (e: BecomeError) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    io.kill();
    reject(e);
  };
  const timer = setTimeout(
    () => fail(new BecomeError(conn.host, 'timeout', `timed out after ${timeoutMs / 1000} s waiting for sudo (no prompt and no success marker) as ${conn.user}`)),
    timeoutMs,
  );
  const wrong = () => new BecomeError(conn.host, 'wrong-password', `incorrect sudo password for ${conn.user} (from ${settings.passwordSource ?? 'the configured source'})`);
  return {
    done,
    onData(stream, chunk) {
      if (settled) return;
      if (stream === 'stdout') {
        preOut += chunk.toString();
        if (preOut.includes(b.success + '\n')) {
          settled = true;
          clearTimeout(timer);
          resolve();
        }
        return;
      }
      preErr += chunk.toString();
      const seen = preErr.split(b.prompt).length - 1;
      if (seen > prompts) {
        prompts = seen;
        if (prompts === 1 && password !== undefined) io.write(password + '\n');
        else fail(wrong());
      } else if (WRONG_PASSWORD.test(preErr)) fail(wrong());
    },
    ended(exitCode, signal) {
      if (settled) return;
      fail(noEscalation(conn, preErr.split(b.prompt).join('').trim(), exitCode, signal));
    },
  };
}

const lastLine = (s: string) => s.split('\n').filter((l) => l.trim()).at(-1) ?? '';
