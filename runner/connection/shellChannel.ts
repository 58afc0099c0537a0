/**
 * The persistent command channel: one long-lived process per host (and one as root through
 * sudo) that runs each task it is sent, framed, in a process of its own, so a task costs a fork
 * and an exec on the host instead of an SSH channel, an sshd session and a login shell.
 *
 * Two servers speak the same protocol: the perl task agent (taskAgent.pl: one process per task;
 * perl-base is Essential on Debian/Ubuntu) and, where the host has no perl, the POSIX sh loop
 * (shellLoop.sh: five processes per task: a job, `timeout 0`, the task shell, two `cat`s). The
 * loop is started as `sh -c LOOP ucw-sh TASKSHELL AGENT` and execs perl with the agent when it can.
 * framing.ts encodes the tasks and decodes the answers.
 *
 * Protocol, as the sh loop serves it (scripts are arguments, so nothing but data ever travels on
 * the channel's stdin; the agent differs only where it says so in its header):
 *  - The controller sends a random sentinel line (never in any argv or environment); the loop
 *    answers `<S> R <pid>` when it is ready (anything an rc file printed before is skipped).
 *  - Each task: a header line `<lines> <stdin bytes> <timeout s|0> <N>`, the command's lines
 *    (read with the `read` builtin, which never reads past a newline), then the stdin bytes (read
 *    by `head -c`, exactly that many). <N> is the task's own random nonce. The command runs as
 *    `timeout 0 TASKSHELL -c CMD` in the background: its own process (nothing leaks: cd,
 *    variables, umask, traps, `exit`, `exec`), its own process group (what a timeout kills;
 *    setsid where there is no GNU timeout), stdin from a temp file or /dev/null (a task can never
 *    read the control stream), stdout and stderr each to its own FIFO, copied by `cat` to the
 *    channel's stdout and stderr as they come (binary-safe, streamed), until every writer
 *    (background children too) has closed them, as sshd does for an exec channel.
 *  - The loop prints `<N> P <pid>` before the task's output, then after it `\n<N> X <k> <status>`
 *    on stdout and `\n<N> E` on stderr. The newline before a marker is always added by the
 *    loop, so output without a trailing newline survives exactly. <status> is the shell's
 *    `jobs -l` line for the task (`Done`, `Done(3)`, `Killed`, …: exit code and signal apart),
 *    or `x <n>` from `wait` when the job list could not tell (the agent: `x <code>` or
 *    `s <signal number>` from waitpid); <k> is 1 when the timeout fired.
 *  - Only a line with the running task's nonce ends it: a status forged from a nonce read
 *    earlier, or a late line, is the task's output or breaks the channel (the task then fails,
 *    outcome unknown). The nonce is a secret only while nobody reads the server's memory: the
 *    agent makes itself non-dumpable, so processes of the same user cannot (nor open its
 *    channel); the sh loop cannot, so there a process of the login user that reads its memory
 *    can forge the status of the task running at that moment (never of a later one).
 *  - A timeout: a `(sleep T; kill -9 -PGID)` beside the task, so the loop itself stays usable.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ExecOptions, ExecResult } from './connection.ts';
import { TaskReader, frameTask, taskNonce, type TaskStatus } from './framing.ts';
import { Capture } from './lines.ts';

/** A program beside this file, without its comment lines (it travels in the command line, and sudo logs that). */
const program = (file: string) =>
  readFileSync(new URL(file, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => !/^\s*(#|$)/.test(l))
    .join('\n');

export const SHELL_LOOP = program('./shellLoop.sh');
export const TASK_AGENT = program('./taskAgent.pl');

/** The raw SSH channel the loop runs on, as the connection hands it over. */
export interface RawChannel {
  /** False when the channel can take no more input (closed): nothing was sent. */
  write(data: string | Buffer): boolean;
  /** Routes the channel's output here from now on. */
  listen(onStdout: (d: Buffer) => void, onStderr: (d: Buffer) => void): void;
  close(): void;
}

/** The remote side has no usable POSIX sh (or the loop would not start): use exec channels. */
export class NoShellError extends Error {}

/** The shell was found closed before the task was sent: the task did not run, try another shell. */
export class ShellClosedError extends Error {}

interface Running {
  fail(why: string): void;
}

export class ShellChannel {
  /** The loop shell's pid on the host (for tests and diagnostics). */
  pid = 0;
  /** Pid (= process group) of the task running now. */
  get taskPid(): number | undefined {
    return this.#reader?.pid;
  }
  busy = false;
  dead = false;
  /** Tasks run on this channel. */
  tasks = 0;
  /** What serves the channel: the perl task agent or the sh loop. */
  server: 'agent' | 'sh' = 'sh';
  /**
   * False when the server made itself non-dumpable (the agent, through prctl): processes of the
   * same user cannot read its memory or open its channel. The sh loop cannot: always true there.
   */
  dumpable = true;
  readonly #sentinel = `UCW-${randomBytes(16).toString('hex')}`;
  #running?: Running;
  #reader?: TaskReader;
  #onStdout: (d: Buffer) => void = () => {};
  #onStderr: (d: Buffer) => void = () => {};

  private constructor(
    private readonly raw: RawChannel,
    readonly label: string,
  ) {
    raw.listen(
      (d) => this.#onStdout(d),
      (d) => this.#onStderr(d),
    );
  }

  /** Starts the loop on `raw` (already running `sh -c LOOP`) and waits for it to say it is ready. */
  static open(raw: RawChannel, label: string, timeoutMs: number): Promise<ShellChannel> {
    const sc = new ShellChannel(raw, label);
    return new Promise((resolve, reject) => {
      let out = Buffer.alloc(0);
      let err = '';
      const ready = Buffer.from(`${sc.#sentinel} R `);
      const timer = setTimeout(() => {
        sc.#kill(`no answer from the shell within ${timeoutMs / 1000} s`);
        reject(new NoShellError(`the remote shell did not start within ${timeoutMs / 1000} s${err ? `: ${err.trim()}` : ''}`));
      }, timeoutMs);
      sc.#onStderr = (d) => (err = (err + d.toString()).slice(-2000));
      sc.#onStdout = (d) => {
        out = Buffer.concat([out, d]);
        const at = out.indexOf(ready);
        // What an rc file prints before the loop starts is skipped, and not kept either.
        if (at < 0) return void (out = out.subarray(-4096));
        const nl = out.indexOf(0x0a, at);
        if (nl < 0) return;
        clearTimeout(timer);
        const [pid, server, dump] = out
          .subarray(at + ready.length, nl)
          .toString()
          .split(' ');
        sc.pid = Number(pid);
        sc.server = server === 'agent' ? 'agent' : 'sh';
        sc.dumpable = dump !== 'nodump';
        sc.#onStdout = () => {};
        sc.#onStderr = () => {};
        resolve(sc);
      };
      sc.#whenGone = (why) => {
        clearTimeout(timer);
        reject(new NoShellError(`the remote shell ended before it was ready (${why})${err ? `: ${err.trim()}` : ''}`));
      };
      raw.write(`${sc.#sentinel}\n`);
    });
  }

  #whenGone: (why: string) => void = () => {};

  /** The channel (or the shell on it) ended: the running task, if any, has an unknown outcome. */
  gone(why: string): void {
    if (this.dead) return;
    this.dead = true;
    this.#whenGone(why);
    this.#running?.fail(why);
  }

  #kill(why: string): void {
    this.gone(why);
    try {
      this.raw.close();
    } catch {
      /* already closed */
    }
  }

  close(): void {
    this.#kill('closed by the runner');
  }

  run(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (this.dead) return Promise.reject(new ShellClosedError('the command channel is closed'));
    if (this.busy) return Promise.reject(new Error('the command channel is busy'));
    this.busy = true;
    this.tasks++;
    const started = Date.now();
    const capture = new Capture(options);
    return new Promise<ExecResult>((resolve, reject) => {
      let backstop: NodeJS.Timeout | undefined;
      const finish = (res: Omit<ExecResult, 'stdout' | 'stderr' | 'durationMs'>, note?: string) => {
        clearTimeout(backstop);
        this.#idle();
        capture.end();
        const out = capture.result();
        if (note) out.stderr += (out.stderr && !out.stderr.endsWith('\n') ? '\n' : '') + note + '\n';
        else if (capture.overflow()) return reject(capture.error(this.label, command));
        resolve({ ...out, durationMs: Date.now() - started, ...res });
      };
      this.#running = {
        fail: (why) =>
          finish(
            { exitCode: null, outcomeUnknown: true },
            `ucw-runner error: the command channel to ${this.label} ended while this command was running (${why}); its outcome is unknown, so it counts as failed`,
          ),
      };
      const nonce = taskNonce();
      const reader = new TaskReader(
        nonce,
        this.server,
        capture,
        (st: TaskStatus) => finish(st),
        (why) => this.#kill(why),
      );
      this.#reader = reader;
      this.#onStdout = (d) => reader.stdout(d);
      this.#onStderr = (d) => reader.stderr(d);
      if (options.timeoutMs !== undefined) {
        // The loop kills the task itself; if it cannot (the loop is stuck), drop the channel.
        backstop = setTimeout(() => {
          this.#running = undefined;
          this.#kill('the task outlived its timeout');
          finish({ exitCode: null, signal: 'SIGKILL', timedOut: true });
        }, options.timeoutMs + 5000);
      }
      const stdin =
        options.stdin === undefined ? Buffer.alloc(0) : Buffer.isBuffer(options.stdin) ? options.stdin : Buffer.from(options.stdin);
      // An argv task is exec'd by the agent with no shell; the sh loop runs its quoted line.
      const task = this.server === 'agent' && options.argv ? options.argv : command;
      if (!this.raw.write(frameTask(task, stdin, nonce, options.timeoutMs))) {
        // Nothing was sent: the task did not run. The caller retries on a new shell.
        clearTimeout(backstop);
        this.#idle();
        this.tasks--;
        this.#kill('the channel was closed');
        reject(new ShellClosedError('the command channel was closed before the command was sent'));
      }
    });
  }

  /** No task runs any more: output that still arrives goes nowhere. */
  #idle(): void {
    this.#running = undefined;
    this.#reader = undefined;
    this.#onStdout = () => {};
    this.#onStderr = () => {};
    this.busy = false;
  }
}
