/**
 * The persistent command channel: one long-lived process per host (and one as root through
 * sudo) that runs each task it is sent, framed, in a process of its own, so a task costs a fork
 * and an exec on the host instead of an SSH channel, an sshd session and a login shell.
 *
 * Two servers speak the same protocol: the perl task agent (taskAgent.pl: one process per task;
 * perl-base is Essential on Debian/Ubuntu) and, where the host has no perl, the POSIX sh loop
 * below (five processes per task: a job, `timeout 0`, the task shell, two `cat`s). The loop is
 * started as `sh -c LOOP ucw-sh TASKSHELL AGENT` and execs perl with the agent when it can.
 *
 * Protocol, as the sh loop serves it (scripts are arguments, so nothing but data ever travels on
 * the channel's stdin; the agent differs only where it says so in its header):
 *  - The controller sends a random sentinel line (never in any argv or environment); the loop
 *    answers `<S> R <pid>` when it is ready.
 *  - Each task: a header line `<lines> <stdin bytes> <timeout s|0>`, the command's lines (read
 *    with the `read` builtin, which never reads past a newline), then the stdin bytes (read by
 *    `head -c`, exactly that many). The command runs as `timeout 0 TASKSHELL -c CMD` in the
 *    background: its own process (nothing leaks: cd, variables, umask, traps, `exit`, `exec`),
 *    its own process group (what a timeout kills; setsid where there is no GNU timeout), stdin from a temp file or
 *    /dev/null (a task can never read the control stream), stdout and stderr each to its own
 *    FIFO, copied by `cat` to the channel's stdout and stderr as they come (binary-safe,
 *    streamed), until every writer (background children too) has closed them, as sshd does
 *    for an exec channel.
 *  - The loop prints `<S> P <pid>` before the task's output, then after it `\n<S> X <k> <status>`
 *    on stdout and `\n<S> E` on stderr. The newline before a marker is always added by the
 *    loop, so output without a trailing newline survives exactly. <status> is the shell's
 *    `jobs -l` line for the task (`Done`, `Done(3)`, `Killed`, …: exit code and signal apart),
 *    or `x <n>` from `wait` when the job list could not tell (the agent: `x <code>` or
 *    `s <signal number>` from waitpid); <k> is 1 when the timeout fired.
 *  - A timeout: a `(sleep T; kill -9 -PGID)` beside the task, so the loop itself stays usable.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import type { ExecOptions, ExecResult } from './connection.ts';

export const SHELL_LOOP = String.raw`SH=$1
# The task agent, when given and the host has perl: the same protocol, one process per task.
if [ -n "$2" ] && command -v perl >/dev/null 2>&1; then exec perl -e "$2" -- "$SH"; fi
case $SH in /*) [ -x "$SH" ] || SH=/bin/sh ;; *) SH=/bin/sh ;; esac
# Started by its name where PATH finds the same file, the task shell's $0 is what sshd gives it.
N=$<SH##*/}; M=$(command -v "$N" 2>/dev/null) && [ "$M" -ef "$SH" ] 2>/dev/null && SH=$N
for u in head mkfifo mktemp cat; do command -v $u >/dev/null 2>&1 || { echo "ucw-sh: $u not found" >&2; exit 97; }; done
T=$TMPDIR; [ -d "$T" ] || T=/tmp
T=$(mktemp -d "$T/.ucw-sh.XXXXXX") || exit 96
trap 'rm -rf "$T"' EXIT
trap 'exit 129' HUP
trap 'exit 143' TERM
trap 'exit 130' INT
mkfifo -m 600 "$T/o" "$T/e" || exit 96
# GNU timeout (no limit) puts the task in a process group of its own (what a timeout kills),
# resets SIGINT and SIGQUIT, which sh ignores for a background job, and passes a signal death
# on as its own; setsid gives at least the process group.
if timeout --version >/dev/null 2>&1; then Z='timeout 0'; elif command -v setsid >/dev/null 2>&1; then Z=setsid; else Z=; fi
# A sleep without fractions (some busybox builds) waits whole seconds, rounded up.
if sleep 0.001 2>/dev/null; then F=1; else F=; fi
IFS= read -r S || exit 0
printf '%s R %s\n' "$S" "$$"
while IFS= read -r h; do
  set -f; set -- $h; set +f
  c=; i=0
  while [ "$i" -lt "$1" ]; do
    IFS= read -r l || exit 0
    if [ "$i" = 0 ]; then c=$l; else c="$c
$l"; fi
    i=$((i+1))
  done
  if [ "$2" -gt 0 ]; then head -c "$2" >"$T/i" || exit 95; I=$T/i; else I=/dev/null; fi
  { unset SSH_CLIENT SSH2_CLIENT; exec $Z "$SH" -c "$c"; } <"$I" >"$T/o" 2>"$T/e" &
  p=$!
  printf '%s P %s\n' "$S" "$p"
  w=
  t=$3; if [ -z "$F" ] && [ "$t" != 0 ]; then t=$(($<t%.*} + 1)); fi
  if [ "$t" != 0 ]; then (sleep "$t"; : >"$T/k"; kill -9 -"$p" || kill -9 "$p") >/dev/null 2>&1 & w=$!; fi
  cat "$T/e" >&2 & q=$!
  cat "$T/o"
  wait "$q"
  [ -n "$w" ] && kill "$w" 2>/dev/null
  jobs -l >"$T/j"
  r=
  while IFS= read -r J; do case $J in *" $p "*) r=$J; break ;; esac; done <"$T/j"
  case $r in ""|*Running*) wait "$p"; r="x $?" ;; esac
  k=0
  if [ -e "$T/k" ]; then k=1; rm -f "$T/k"; fi
  printf '\n%s E\n' "$S" >&2
  printf '\n%s X %s %s\n' "$S" "$k" "$r"
done
`.replaceAll('$<', '$' + '{'); // `$<` stands for a shell `${` (a template literal cannot hold one)

/** taskAgent.pl without its comment lines (it travels in the command line, and sudo logs that). */
export const TASK_AGENT = readFileSync(new URL('./taskAgent.pl', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => !/^\s*(#|$)/.test(l))
  .join('\n');

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

/** glibc's strsignal() texts, as `jobs` prints them, back to signal names. */
const SIGNAL_TEXT: [RegExp, string][] = [
  [/^Hangup/, 'SIGHUP'], [/^Interrupt/, 'SIGINT'], [/^Quit/, 'SIGQUIT'], [/^Illegal instruction/, 'SIGILL'],
  [/^Trace\/breakpoint trap/, 'SIGTRAP'], [/^Abort/, 'SIGABRT'], [/^Bus error/, 'SIGBUS'],
  [/^Floating point exception/, 'SIGFPE'], [/^Killed/, 'SIGKILL'], [/^User defined signal 1/, 'SIGUSR1'],
  [/^Segmentation fault/, 'SIGSEGV'], [/^User defined signal 2/, 'SIGUSR2'], [/^Broken pipe/, 'SIGPIPE'],
  [/^Alarm clock/, 'SIGALRM'], [/^Terminated/, 'SIGTERM'], [/^Stack fault/, 'SIGSTKFLT'],
  [/^CPU time limit exceeded/, 'SIGXCPU'], [/^File size limit exceeded/, 'SIGXFSZ'],
  [/^Virtual timer expired/, 'SIGVTALRM'], [/^Profiling timer expired/, 'SIGPROF'], [/^I\/O possible/, 'SIGIO'],
  [/^Power failure/, 'SIGPWR'], [/^Bad system call/, 'SIGSYS'], [/^Signal (\d+)/, 'SIG$1'],
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
    const s = re.exec(text);
    if (s) return { exitCode: null, signal: name.replace('$1', s[1] ?? '') };
  }
  return { exitCode: null, signal: 'SIGUNKNOWN' };
}

/** Encodes one task as the loop reads it. Exported for the unit tests. */
export function frameTask(command: string, stdin: Buffer, timeoutMs?: number): Buffer {
  const lines = command.split('\n');
  const t = timeoutMs !== undefined && timeoutMs > 0 ? (Math.max(timeoutMs, 1) / 1000).toFixed(3) : '0';
  return Buffer.concat([Buffer.from(`${lines.length} ${stdin.length} ${t}\n${lines.join('\n')}\n`), stdin]);
}

/**
 * Lines for `onLine` as soon as they end: a newline the FrameReader holds back ends the line
 * before it whether it is the output's or the marker's, so that line goes out at once and the
 * newline, when it turns out to be output, is not counted twice.
 */
export class EagerLines {
  #partial = '';
  #swallow = false;
  constructor(private readonly emit: (line: string) => void) {}
  push(text: string): void {
    if (text === '') return;
    if (this.#swallow && text.startsWith('\n')) text = text.slice(1);
    this.#swallow = false;
    const parts = (this.#partial + text).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const p of parts) this.emit(p.replace(/\r$/, ''));
  }
  held(): void {
    if (this.#partial === '') return;
    this.emit(this.#partial.replace(/\r$/, ''));
    this.#partial = '';
    this.#swallow = true;
  }
  end(): void {
    if (this.#partial !== '') this.emit(this.#partial);
    this.#partial = '';
  }
}

/** Cuts one framed stream (stdout or stderr) at its end marker, passing the rest on as it comes. */
export class FrameReader {
  #pending = Buffer.alloc(0);
  #chunks: Buffer[] = [];
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
    if (b.length === 0) return;
    const copy = Buffer.from(b);
    this.#chunks.push(copy);
    this.emit(copy);
  }
  result(): Buffer {
    return Buffer.concat(this.#chunks);
  }
}

/** The task agent's stderr: passed on as it comes; its end is known by its length. */
export class CountedStream {
  #chunks: Buffer[] = [];
  bytes = 0;
  constructor(private readonly emit: (chunk: Buffer) => void) {}
  push(d: Buffer): void {
    const copy = Buffer.from(d);
    this.#chunks.push(copy);
    this.bytes += copy.length;
    this.emit(copy);
  }
  result(): Buffer {
    return Buffer.concat(this.#chunks);
  }
}

interface Running {
  settle(res: ExecResult): void;
  fail(why: string): void;
}

export class ShellChannel {
  /** The loop shell's pid on the host (for tests and diagnostics). */
  pid = 0;
  /** Pid (= process group) of the task running now. */
  taskPid?: number;
  busy = false;
  dead = false;
  /** Tasks run on this channel. */
  tasks = 0;
  /** What serves the channel: the perl task agent or the sh loop. */
  server: 'agent' | 'sh' = 'sh';
  readonly #sentinel = `UCW-${randomBytes(16).toString('hex')}`;
  #running?: Running;
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
        // Anything an rc file printed before the loop started is skipped.
        const at = out.indexOf(ready);
        if (at < 0) return;
        const nl = out.indexOf(0x0a, at);
        if (nl < 0) return;
        clearTimeout(timer);
        const [pid, server] = out.subarray(at + ready.length, nl).toString().split(' ');
        sc.pid = Number(pid);
        sc.server = server === 'agent' ? 'agent' : 'sh';
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
    const S = this.#sentinel;
    const dec = { out: new StringDecoder('utf8'), err: new StringDecoder('utf8') };
    const lines = options.onLine && {
      out: new EagerLines((l) => options.onLine!('stdout', l)),
      err: new EagerLines((l) => options.onLine!('stderr', l)),
    };
    const out = new FrameReader(
      `${S} X `,
      (c) => {
        options.onData?.('stdout', c);
        lines?.out.push(dec.out.write(c));
      },
      () => lines?.out.held(),
    );
    // The sh loop ends stderr with a marker; the agent sends no marker but the byte count of
    // stderr with the status (one SSH packet fewer per task), so stderr is whole once that many
    // bytes arrived, whichever of the two streams sshd passes on first.
    const onErr = (c: Buffer) => {
      options.onData?.('stderr', c);
      lines?.err.push(dec.err.write(c));
    };
    const err = this.server === 'agent' ? new CountedStream(onErr) : new FrameReader(`${S} E`, onErr, () => lines?.err.held());
    let head = Buffer.alloc(0);
    let started2 = false;
    let status: string | undefined;
    return new Promise<ExecResult>((resolve, reject) => {
      let backstop: NodeJS.Timeout | undefined;
      const finish = (res: Omit<ExecResult, 'stdout' | 'stderr' | 'durationMs'>, note?: string) => {
        clearTimeout(backstop);
        this.#running = undefined;
        this.#onStdout = () => {};
        this.#onStderr = () => {};
        this.busy = false;
        this.taskPid = undefined;
        lines?.out.push(dec.out.end());
        lines?.err.push(dec.err.end());
        lines?.out.end();
        lines?.err.end();
        let stderr = err.result().toString();
        if (note) stderr += (stderr && !stderr.endsWith('\n') ? '\n' : '') + note + '\n';
        resolve({ stdout: out.result().toString(), stderr, durationMs: Date.now() - started, ...res });
      };
      this.#running = {
        settle: () => {},
        fail: (why) =>
          finish(
            { exitCode: null, outcomeUnknown: true },
            `ucw-runner error: the command channel to ${this.label} ended while this command was running (${why}); its outcome is unknown, so it counts as failed`,
          ),
      };
      const maybeDone = () => {
        if (status === undefined) return;
        const m = /^(\d) (.*?)(?: ~(\d+))?$/.exec(status);
        if (err instanceof CountedStream ? err.bytes < Number(m?.[3] ?? 0) : !err.done) return;
        const timedOut = m?.[1] === '1';
        const st = parseStatus(m?.[2] ?? '');
        if (timedOut) finish({ exitCode: null, signal: 'SIGKILL', timedOut: true });
        else finish({ exitCode: st.exitCode, signal: st.signal, timedOut: false });
      };
      this.#onStdout = (d) => {
        if (!started2) {
          // `<S> P <pid>\n` comes first, before any of the task's output.
          head = Buffer.concat([head, d]);
          const nl = head.indexOf(0x0a);
          if (nl < 0) return;
          const line = head.subarray(0, nl).toString();
          const p = new RegExp(`^${S} P (\\d+)$`).exec(line);
          if (!p) return this.#kill(`protocol error: unexpected ${JSON.stringify(line.slice(0, 80))}`);
          this.taskPid = Number(p[1]);
          started2 = true;
          d = head.subarray(nl + 1);
          head = Buffer.alloc(0);
          if (d.length === 0) return;
        }
        const s = out.push(d);
        if (s !== undefined) {
          status = s;
          maybeDone();
        }
      };
      this.#onStderr = (d) => {
        err.push(d);
        maybeDone();
      };
      if (options.timeoutMs !== undefined) {
        // The loop kills the task itself; if it cannot (the loop is stuck), drop the channel.
        backstop = setTimeout(() => {
          this.#running = undefined;
          this.#kill('the task outlived its timeout');
          finish({ exitCode: null, signal: 'SIGKILL', timedOut: true });
        }, options.timeoutMs + 5000);
      }
      const stdin = options.stdin === undefined ? Buffer.alloc(0) : Buffer.isBuffer(options.stdin) ? options.stdin : Buffer.from(options.stdin);
      if (!this.raw.write(frameTask(command, stdin, options.timeoutMs))) {
        // Nothing was sent: the task did not run. The caller retries on a new shell.
        this.#running = undefined;
        clearTimeout(backstop);
        this.busy = false;
        this.tasks--;
        this.#kill('the channel was closed');
        reject(new ShellClosedError('the command channel was closed before the command was sent'));
      }
    });
  }
}
