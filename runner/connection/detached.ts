/**
 * Commands that must outlive the SSH connection (a 20-minute `apt-get dist-upgrade` over a link
 * that may drop). The command runs detached on the host (`systemd-run` where systemd runs, else
 * `setsid nohup`), writing its output and exit status to files in a run directory
 * (`/var/tmp/ucw-runner/<id>/{cmd,in,out,err,pid,rc}`). The runner polls those files by byte
 * offset, so output streams while connected; after a dropped link it reconnects and continues
 * from the same offsets, and the exit status comes from `rc`, not from a channel that may be gone.
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
import { quote } from '../model/shell.ts';
import type { Connection, ExecResult } from './connection.ts';
import { LineSplitter } from './lines.ts';
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
  /** @default /var/tmp/ucw-runner */
  baseDir?: string;
  /** Told the job's id and directory once it runs (to record them). */
  onStart?: (job: DetachedJob) => void;
  /** Told when the link dropped and when it is back. */
  onLinkChange?: (state: 'lost' | 'back', detail: string) => void;
}

export interface DetachedJob {
  id: string;
  dir: string;
  launcher: 'systemd-run' | 'setsid';
}

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
  const base = opts.baseDir ?? '/var/tmp/ucw-runner';
  const dir = `${base}/${id}`;
  const launcher = opts.launcher ?? 'auto';
  const wrapper = 'echo $$ > pid.tmp && mv pid.tmp pid; sh ./cmd < in > out 2> err; echo $? > rc.tmp; mv rc.tmp rc';
  const systemd = `systemd-run --unit=${quote('ucw-' + id)} --collect --quiet --working-directory="$d" /bin/sh -c ${quote(wrapper)}`;
  // The redirections are on the whole background subshell: a subshell left holding the channel's
  // pipes would keep the SSH channel (and this start command) open until the job ends.
  const setsid = `(cd "$d" && exec setsid nohup /bin/sh -c ${quote(wrapper)}) </dev/null >/dev/null 2>&1 &`;
  const choose =
    launcher === 'systemd-run'
      ? `l=systemd-run`
      : launcher === 'setsid'
        ? `l=setsid`
        : `if [ -d /run/systemd/system ] && [ "$(id -u)" = 0 ] && command -v systemd-run >/dev/null 2>&1; then l=systemd-run; else l=setsid; fi`;
  const start = [
    'set -e',
    'umask 077',
    `b=${quote(base)}; d=${quote(dir)}`,
    // Shared by root and login users: sticky and world-writable like /tmp; each run dir is 0700.
    '[ -d "$b" ] || { mkdir -p "$b" && chmod 1777 "$b"; }',
    'mkdir "$d"',
    'cat > "$d/in"',
    ': > "$d/out"; : > "$d/err"',
    `printf '%s\\n' ${quote(cmd)} > "$d/cmd"`,
    choose,
    `if [ "$l" = systemd-run ]; then ${systemd}\nelse ${setsid}\nfi`,
    'i=0; while [ ! -s "$d/pid" ]; do i=$((i+1)); if [ $i -gt 100 ]; then echo "the detached command did not start" >&2; exit 1; fi; sleep 0.1; done',
    'echo "$l"',
  ].join('\n');
  const started = Date.now();
  const r = await h.exec(start, opts.stdin ?? '');
  if (r.exitCode !== 0) {
    throw new RunnerError(`${h.host}: could not start a detached command in ${dir} (exit ${r.exitCode}): ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
  }
  const job: DetachedJob = { id, dir, launcher: r.stdout.trim() === 'systemd-run' ? 'systemd-run' : 'setsid' };
  h.info(`detached as ${id} (${job.launcher}) in ${dir}: ${cmd}`);
  opts.onStart?.(job);
  return follow(h, job, opts, started);
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

async function follow(h: Handle, job: DetachedJob, opts: DetachedOptions, started: number): Promise<DetachedResult> {
  const pollMs = opts.pollMs ?? 1000;
  const reattachMs = opts.reattachTimeoutMs ?? 15 * 60_000;
  const d = quote(job.dir);
  const bytes = { stdout: 0, stderr: 0 };
  const text = { stdout: '', stderr: '' };
  const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  const lines = {
    stdout: new LineSplitter((l) => h.onLine?.('stdout', l)),
    stderr: new LineSplitter((l) => h.onLine?.('stderr', l)),
  };
  let outages = 0;
  const connectsBefore = h.connects();
  let lostSince: number | undefined;
  let backoff = 500;
  let timedOut = false;
  let goneOnce = false;

  const take = (stream: 'stdout' | 'stderr', b64: string) => {
    if (!b64) return;
    const buf = Buffer.from(b64, 'base64');
    bytes[stream] += buf.length;
    const s = decoders[stream].write(buf);
    text[stream] += s;
    lines[stream].push(s);
  };

  for (;;) {
    // rc is read before the output, so once rc exists the output read after it is complete.
    const poll = [
      `cd ${d} 2>/dev/null || exit 5`,
      'r=$(cat rc 2>/dev/null || true)',
      `tail -c +${bytes.stdout + 1} out | base64 | tr -d '\\n'; echo`,
      `tail -c +${bytes.stderr + 1} err | base64 | tr -d '\\n'; echo`,
      'if [ -n "$r" ]; then echo "$r"; exit 0; fi',
      'kill -0 "$(cat pid)" 2>/dev/null && exit 3',
      '[ -s rc ] && exit 6',
      'exit 4',
    ].join('\n');
    let r: ExecResult;
    try {
      r = await h.exec(poll);
    } catch (e) {
      if (!(e instanceof UnreachableError)) throw e;
      const now = Date.now();
      if (lostSince === undefined) {
        lostSince = now;
        outages++;
        backoff = 500;
        h.warn(`link to ${h.host} lost while following detached command ${job.id}; it keeps running, reconnecting (${e.message})`);
        opts.onLinkChange?.('lost', e.message);
      }
      if (now - lostSince > reattachMs) {
        throw new UnreachableError(
          h.host, h.address,
          `lost the link to detached command ${job.id} and could not reconnect within ${Math.round(reattachMs / 1000)} s; ` +
            `it may still be running: output and exit status in ${job.dir} on the host`,
          { cause: e },
        );
      }
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 10_000);
      continue;
    }
    if (lostSince !== undefined) {
      h.info(`reattached to detached command ${job.id} after ${Math.round((Date.now() - lostSince) / 1000)} s`);
      opts.onLinkChange?.('back', job.id);
      lostSince = undefined;
    }
    if (r.exitCode === 5) throw new RunnerError(`${h.host}: the run directory ${job.dir} of detached command ${job.id} is gone`);
    const [out = '', err = '', rc = ''] = r.stdout.split('\n');
    take('stdout', out);
    take('stderr', err);
    if (r.exitCode === 0 || (r.exitCode === 4 && goneOnce)) {
      for (const s of ['stdout', 'stderr'] as const) {
        const rest = decoders[s].end();
        text[s] += rest;
        lines[s].push(rest);
        lines[s].end();
      }
      if (r.exitCode === 4 && !timedOut) {
        throw new RunnerError(`${h.host}: detached command ${job.id} ended without an exit status (killed, or the host rebooted); output so far in ${job.dir}`);
      }
      if (opts.cleanup ?? true) await h.exec(`rm -rf ${d}`).catch(() => undefined);
      return {
        ...job,
        exitCode: r.exitCode === 0 ? Number(rc.trim()) : null,
        stdout: text.stdout,
        stderr: text.stderr,
        durationMs: Date.now() - started,
        // A link that died between polls is reopened by the next exec without an error: count both.
        reconnects: Math.max(outages, (h.connects() ?? 0) - (connectsBefore ?? 0)),
        timedOut,
      };
    }
    if (r.exitCode === 4) {
      goneOnce = true; // look once more: rc may have appeared between the checks
      continue;
    }
    if (r.exitCode !== 3 && r.exitCode !== 6) {
      throw new RunnerError(`${h.host}: following detached command ${job.id} failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
    }
    if (opts.timeoutMs !== undefined && !timedOut && Date.now() - started > opts.timeoutMs) {
      timedOut = true;
      h.warn(`detached command ${job.id} ran longer than ${opts.timeoutMs / 1000} s: killing it`);
      // `kill -TERM -PGID`, not `kill -- -PGID`: dash's kill has no `--`. setsid made the pid a group leader.
      await h.exec(`cd ${d} && kill -TERM -"$(cat pid)"; sleep 2; kill -KILL -"$(cat pid)" 2>/dev/null; true`);
      continue;
    }
    if (r.exitCode === 3) await sleep(pollMs);
  }
}
