/**
 * Commands that must outlive the SSH connection (a 20-minute `apt-get dist-upgrade` over a link
 * that may drop). The command runs detached on the host (`systemd-run` where systemd runs, else
 * `setsid nohup`), writing its output and exit status to files in a run folder
 * (`/var/lib/ucw-runner/<id>/{cmd,in,out,err,pid,rc}` as root, `~/.ucw-runner/<id>` as another
 * user). The runner polls those files by byte offset, so output streams while connected; after a
 * dropped link it reconnects and continues from the same offsets, and the exit status comes from
 * `rc`, not from a channel that may be gone. No other local user can create, swap or write those
 * folders, and a pid is signalled only while it is still the job's (detachedShell.ts says how);
 * a folder found tampered with stops the task with DetachedTamperError.
 *
 * @example
 * // in a module's apply():
 * const r = await runDetached(ctx, 'apt-get -y dist-upgrade', { become: true })
 * if (r.exitCode !== 0) return { failed: `apt-get exited ${r.exitCode}: ${r.stderr.slice(-500)}` }
 */
import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import { execAsRoot } from './sudo.ts';
import { RunnerError, UnreachableError } from '../model/errors.ts';
import type { Connection, ExecResult } from './connection.ts';
import { LineSplitter } from './lines.ts';
import { TAMPERED, cleanupScript, killScript, pollScript, startScript, type JobRef } from './detachedShell.ts';
import type { ModuleContext } from '../model/plan.ts';

export interface DetachedOptions {
  /** Run as root (sudo unless the login is root). @default the task's `become` for a ModuleContext, else false */
  become?: boolean;
  /** Written to the command's stdin (stored in the run directory first, mode 0600). */
  stdin?: string | Buffer;
  /** How often output is fetched while connected. @default 1000 */
  pollMs?: number;
  /** How long to keep trying to reach the host again after the link drops. @default 900000 (15 min) */
  reattachTimeoutMs?: number;
  /** Kill the command (its whole process group) after this long. */
  timeoutMs?: number;
  /** Each output line as it arrives. @default ctx.output for a ModuleContext */
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  /** Remove the run directory once the exit status is read. @default true */
  cleanup?: boolean;
  /** @default 'auto': systemd-run when the host runs systemd and we are root there, else setsid */
  launcher?: 'auto' | 'systemd-run' | 'setsid';
  /**
   * Where run folders are made. Its parents must be root's or ours and writable by no one else.
   * @default /var/lib/ucw-runner as root, ~/.ucw-runner as another user
   */
  baseDir?: string;
  /** Told the job's id and directory once it runs (to record them). */
  onStart?: (job: DetachedJob) => void;
  /** Told when the link dropped and when it is back. */
  onLinkChange?: (state: 'lost' | 'back', detail: string) => void;
}

export interface DetachedJob {
  id: string;
  /** The run folder on the host (physical path). */
  dir: string;
  launcher: 'systemd-run' | 'setsid';
  /** The job's process (its session and group leader) and its start time, recorded at start. */
  pid: number;
  startTime: string;
}

/** A run folder or its base that another uid could have touched: nothing is run or read from it. */
export class DetachedTamperError extends RunnerError {}

export interface DetachedResult extends DetachedJob {
  /** null when killed by `timeoutMs`. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** How many times the link dropped and was re-established while following. */
  reconnects: number;
  timedOut: boolean;
}

type Target = ModuleContext | Connection;

const isContext = (t: Target): t is ModuleContext => 'run' in t && 'connection' in t;

/** Starts `cmd` detached on the host and follows it to its end (through dropped links). */
export async function runDetached(target: Target, cmd: string, opts: DetachedOptions = {}): Promise<DetachedResult> {
  const h = handle(target, opts);
  const id = `${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${randomBytes(4).toString('hex')}`;
  const started = Date.now();
  const r = await h.exec(startScript({ id, cmd, baseDir: opts.baseDir, launcher: opts.launcher ?? 'auto' }), opts.stdin ?? '');
  checkTamper(h, r);
  const [launcher = '', pidLine = '', dir = ''] = r.stdout.split('\n');
  const [pid, startTime] = pidLine.split(' ');
  if (r.exitCode !== 0 || !/^\d+$/.test(pid ?? '') || !startTime || !dir.startsWith('/')) {
    const where = opts.baseDir ?? 'the base folder';
    throw new RunnerError(
      `${h.host}: could not start a detached command in ${where} (exit ${r.exitCode}): ${lastLine(r.stderr) || r.stdout.trim()}`,
    );
  }
  const job: DetachedJob = { id, dir, launcher: launcher === 'systemd-run' ? 'systemd-run' : 'setsid', pid: Number(pid), startTime };
  h.info(`detached as ${id} (${job.launcher}) in ${dir}: ${cmd}`);
  opts.onStart?.(job);
  return new Follower(h, job, opts, started).run();
}

interface Handle {
  host: string;
  address: string;
  exec(line: string, stdin?: string | Buffer): Promise<ExecResult>;
  info(line: string): void;
  warn(line: string): void;
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  connects(): number | undefined;
}

function handle(target: Target, opts: DetachedOptions): Handle {
  const conn = isContext(target) ? target.connection : target;
  const asRoot = opts.become ?? (isContext(target) ? target.become : false);
  // Polls go to the connection directly: through ctx.run every poll would be a logged command.
  const exec = (line: string, stdin?: string | Buffer) =>
    asRoot ? execAsRoot(conn, line, { stdin, timeoutMs: 120_000 }) : conn.exec(line, { stdin, timeoutMs: 120_000 });
  const ctx = isContext(target) ? target : undefined;
  return {
    host: conn.host,
    address: conn.address,
    exec,
    connects: () => conn.connects,
    info: (l) => ctx?.output(l),
    warn: (l) => ctx?.warn(l),
    onLine: opts.onLine ?? (ctx ? (_s, l) => ctx.output(l) : undefined),
  };
}

const lastLine = (s: string) => s.trim().split('\n').at(-1) ?? '';

function checkTamper(h: Handle, r: ExecResult): void {
  if (r.exitCode !== TAMPERED) return;
  const why = /ucw-tamper: (.*)/.exec(r.stderr)?.[1] ?? lastLine(r.stderr);
  throw new DetachedTamperError(
    `${h.host}: possible tampering with the detached-command folder: ${why}. Nothing was run or read there; ` +
      `find out who made it so (and why) before removing it.`,
  );
}

/** One output stream of the job: bytes fetched so far, the text, and its lines as they complete. */
class Stream {
  bytes = 0;
  text = '';
  readonly #decoder = new StringDecoder('utf8');
  readonly #lines: LineSplitter;
  constructor(onLine: (line: string) => void) {
    this.#lines = new LineSplitter(onLine);
  }
  take(b64: string): void {
    if (!b64) return;
    const buf = Buffer.from(b64, 'base64');
    this.bytes += buf.length;
    const s = this.#decoder.write(buf);
    this.text += s;
    this.#lines.push(s);
  }
  end(): void {
    const rest = this.#decoder.end();
    this.text += rest;
    this.#lines.push(rest);
    this.#lines.end();
  }
}

/** Polls a job's run folder until it has an exit status, riding out dropped links. */
class Follower {
  readonly #out: { stdout: Stream; stderr: Stream };
  readonly #connectsBefore: number | undefined;
  #outages = 0;
  #lostSince?: number;
  #backoff = 500;
  #timedOut = false;
  #goneOnce = false;

  constructor(
    private readonly h: Handle,
    private readonly job: DetachedJob,
    private readonly opts: DetachedOptions,
    private readonly started: number,
  ) {
    this.#out = { stdout: new Stream((l) => h.onLine?.('stdout', l)), stderr: new Stream((l) => h.onLine?.('stderr', l)) };
    this.#connectsBefore = h.connects();
  }

  async run(): Promise<DetachedResult> {
    const ref: JobRef = { dir: this.job.dir, pid: this.job.pid, startTime: this.job.startTime };
    for (;;) {
      const r = await this.#exec(pollScript(ref, { stdout: this.#out.stdout.bytes, stderr: this.#out.stderr.bytes }));
      if (!r) continue;
      if (r.exitCode === 5)
        throw new RunnerError(`${this.h.host}: the run folder ${this.job.dir} of detached command ${this.job.id} is gone`);
      const [out = '', err = '', rc = ''] = r.stdout.split('\n');
      this.#out.stdout.take(out);
      this.#out.stderr.take(err);
      if (r.exitCode === 0 || (r.exitCode === 4 && this.#goneOnce)) return this.#finish(r.exitCode === 0 ? rc.trim() : undefined);
      if (r.exitCode === 4) {
        this.#goneOnce = true; // look once more: rc may have appeared between the checks
        continue;
      }
      if (r.exitCode !== 3 && r.exitCode !== 6) {
        throw new RunnerError(`${this.h.host}: following detached command ${this.job.id} failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
      }
      if (await this.#timeout(ref)) continue;
      if (r.exitCode === 3) await sleep(this.opts.pollMs ?? 1000);
    }
  }

  /** Runs a script on the host; undefined when the link is down (after waiting out the backoff). */
  async #exec(script: string): Promise<ExecResult | undefined> {
    let r: ExecResult;
    try {
      r = await this.h.exec(script);
    } catch (e) {
      if (!(e instanceof UnreachableError)) throw e;
      await this.#lost(e);
      return undefined;
    }
    if (this.#lostSince !== undefined) {
      this.h.info(`reattached to detached command ${this.job.id} after ${Math.round((Date.now() - this.#lostSince) / 1000)} s`);
      this.opts.onLinkChange?.('back', this.job.id);
      this.#lostSince = undefined;
    }
    checkTamper(this.h, r);
    return r;
  }

  async #lost(e: UnreachableError): Promise<void> {
    const now = Date.now();
    const reattachMs = this.opts.reattachTimeoutMs ?? 15 * 60_000;
    if (this.#lostSince === undefined) {
      this.#lostSince = now;
      this.#outages++;
      this.#backoff = 500;
      this.h.warn(
        `link to ${this.h.host} lost while following detached command ${this.job.id}; it keeps running, reconnecting (${e.message})`,
      );
      this.opts.onLinkChange?.('lost', e.message);
    }
    if (now - this.#lostSince > reattachMs) {
      throw new UnreachableError(
        this.h.host,
        this.h.address,
        `lost the link to detached command ${this.job.id} and could not reconnect within ${Math.round(reattachMs / 1000)} s; ` +
          `it may still be running: output and exit status in ${this.job.dir} on the host`,
        { cause: e },
      );
    }
    await sleep(this.#backoff);
    this.#backoff = Math.min(this.#backoff * 2, 10_000);
  }

  /** Kills the job once it has run past timeoutMs; true when it did (poll again at once). */
  async #timeout(ref: JobRef): Promise<boolean> {
    const { timeoutMs } = this.opts;
    if (timeoutMs === undefined || this.#timedOut || Date.now() - this.started <= timeoutMs) return false;
    this.#timedOut = true;
    this.h.warn(`detached command ${this.job.id} ran longer than ${timeoutMs / 1000} s: killing it`);
    const r = await this.h.exec(killScript({ ...ref, id: this.job.id, launcher: this.job.launcher }));
    checkTamper(this.h, r);
    if (r.stdout.trim() === 'not ours') {
      this.h.warn(`detached command ${this.job.id}: pid ${ref.pid} is no longer its process (start time or session differ): not signalled`);
    }
    return true;
  }

  async #finish(rc: string | undefined): Promise<DetachedResult> {
    this.#out.stdout.end();
    this.#out.stderr.end();
    const { job, h } = this;
    if (rc === undefined && !this.#timedOut) {
      throw new RunnerError(
        `${h.host}: detached command ${job.id} ended without an exit status (killed, or the host rebooted); output so far in ${job.dir}`,
      );
    }
    if (rc !== undefined && !/^\d+$/.test(rc))
      throw new RunnerError(
        `${h.host}: detached command ${job.id} left an unreadable exit status in ${job.dir}: ${JSON.stringify(rc.slice(0, 40))}`,
      );
    if (this.opts.cleanup ?? true) await h.exec(cleanupScript(job.dir)).catch(() => undefined);
    return {
      ...job,
      exitCode: rc === undefined ? null : Number(rc),
      stdout: this.#out.stdout.text,
      stderr: this.#out.stderr.text,
      durationMs: Date.now() - this.started,
      // A link that died between polls is reopened by the next exec without an error: count both.
      reconnects: Math.max(this.#outages, (h.connects() ?? 0) - (this.#connectsBefore ?? 0)),
      timedOut: this.#timedOut,
    };
  }
}
