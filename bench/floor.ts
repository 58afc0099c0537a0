/**
 * The floor: no runner at all. One ssh2 connection per host (our own socket, TCP_NODELAY on,
 * host key checked against the lab's known_hosts), then the workload's commands back to back,
 * one exec channel each. All hosts in parallel.
 *
 *   BENCH_HOSTS=lab4,lab5 node --import tsx bench/floor.ts true20|four|cleanup|state [exec|shell]
 *
 * `exec` (default): an exec channel per command, as the runner does today.
 * `shell`: one persistent `sh` per host, each command followed by a random sentinel line with
 * its exit status (the "persistent channel" of the team's shared/docs/performance.md): the floor without a
 * per-command sshd session and shell start. Each command runs in a subshell of that sh, so a
 * builtin like `true` costs a fork and no exec.
 * `shell-exec`: the same, but each command is `/bin/sh -c LINE`: a fork and an exec of a shell
 * per command, what a task must cost on the host to behave as on an exec channel (own `$$`,
 * signals, exit status), as the runner's persistent channel does.
 *
 * Prints one JSON object: per host the connect time, each command's end time and exit codes
 * (and stdout for `state`).
 */
import { connect as netConnect } from 'node:net';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Client } from 'ssh2';
import { readLab } from '../lab/state.ts';
import { W4, cleanupLine, stateLine } from './workload4.ts';

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const WORKLOADS: Record<string, string[]> = {
  true20: Array.from({ length: 20 }, () => 'true'),
  // The same four jobs as play4.ts / play4.yml, as idempotent shell lines.
  four: [
    `getent passwd ${W4.user} >/dev/null || useradd -m ${W4.user}`,
    `test -f ${W4.touched} || touch ${W4.touched}`,
    `[ "$(md5sum < ${W4.copied} 2>/dev/null)" = "$(printf %s ${q(W4.content)} | md5sum)" ] || { printf %s ${q(W4.content)} > ${W4.copied}.tmp && chmod 0644 ${W4.copied}.tmp && mv ${W4.copied}.tmp ${W4.copied}; }`,
    W4.shell,
  ],
  cleanup: [cleanupLine],
  state: [stateLine],
};

export interface FloorHost {
  host: string;
  connectMs: number;
  doneMs: number[];
  codes: (number | null)[];
  stdout: string[];
  error?: string;
}
export interface FloorResult {
  workload: string;
  startedMs: number;
  totalMs: number;
  hosts: FloorHost[];
}

const workload = process.argv[2] ?? 'true20';
const mode = process.argv[3] ?? 'exec';
const lines = WORKLOADS[workload];
if (!lines) throw new Error(`floor: unknown workload ${workload}`);
const lab = readLab();
const names = (process.env.BENCH_HOSTS ?? '').split(',').filter(Boolean);
const key = readFileSync(lab.keyFile);
const known = new Map<string, string>(); // address -> base64 key
for (const l of readFileSync(lab.knownHostsFile, 'utf8').split('\n')) {
  const [hostsField, , b64] = l.trim().split(/\s+/);
  if (hostsField && b64) for (const h of hostsField.split(',')) known.set(h, b64);
}

function exec(c: Client, line: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    c.exec(line, (err, ch) => {
      if (err) return reject(err);
      let out = '';
      let code: number | null = null;
      ch.on('data', (d: Buffer) => (out += d.toString()));
      ch.stderr.resume();
      ch.on('exit', (c2: number | null) => (code = c2));
      ch.on('close', () => resolve({ code, out }));
    });
  });
}

/** One `sh` on an exec channel; returns a function that runs a line and waits for its sentinel. */
function shell(c: Client, execEach: boolean): Promise<(line: string) => Promise<{ code: number | null; out: string }>> {
  return new Promise((resolve, reject) => {
    c.exec('exec sh', (err, ch) => {
      if (err) return reject(err);
      const tag = `__FLOOR_${Math.random().toString(36).slice(2)}__`;
      let buf = '';
      let waiting: ((x: { code: number | null; out: string }) => void) | undefined;
      ch.stderr.resume();
      ch.on('data', (d: Buffer) => {
        buf += d.toString();
        const i = buf.indexOf(tag);
        const nl = i >= 0 ? buf.indexOf('\n', i) : -1;
        if (nl < 0 || !waiting) return;
        const out = buf.slice(0, i);
        const code = Number(buf.slice(i + tag.length, nl));
        buf = buf.slice(nl + 1);
        const w = waiting;
        waiting = undefined;
        w({ code, out });
      });
      resolve(
        (line) =>
          new Promise((res) => {
            waiting = res;
            ch.write(execEach ? `/bin/sh -c ${q(line)} </dev/null; echo "${tag}$?"\n` : `(${line}) </dev/null; echo "${tag}$?"\n`);
          }),
      );
    });
  });
}

async function runHost(name: string, t0: number): Promise<FloorHost> {
  const h = lab.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`floor: ${name} is not running`);
  const r: FloorHost = { host: name, connectMs: 0, doneMs: [], codes: [], stdout: [] };
  const c = new Client();
  try {
    await new Promise<void>((resolve, reject) => {
      const sock = netConnect({ host: h.address, port: 22 });
      sock.once('error', reject);
      sock.once('connect', () => {
        sock.setNoDelay(true);
        c.once('ready', () => resolve());
        c.once('error', reject);
        c.connect({
          sock,
          username: 'root',
          privateKey: key,
          readyTimeout: 20000,
          hostVerifier: (k: Buffer) => known.get(h.address) === k.toString('base64'),
        });
      });
    });
    r.connectMs = performance.now() - t0;
    const sh = mode === 'shell' || mode === 'shell-exec' ? await shell(c, mode === 'shell-exec') : undefined;
    for (const line of lines!) {
      const x = sh ? await sh(line) : await exec(c, line);
      r.doneMs.push(performance.now() - t0);
      r.codes.push(x.code);
      r.stdout.push(x.out);
    }
  } catch (e) {
    r.error = String(e);
  } finally {
    c.end();
  }
  return r;
}

const t0 = performance.now();
const hosts = await Promise.all(names.map((n) => runHost(n, t0)));
const res: FloorResult = {
  workload: `${workload}/${mode}`,
  startedMs: performance.timeOrigin + t0,
  totalMs: performance.now() - t0,
  hosts,
};
process.stdout.write(JSON.stringify(res) + '\n');
process.exitCode = hosts.every((h) => !h.error && h.codes.every((c) => c === 0)) ? 0 : 1;
