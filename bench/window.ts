/**
 * `npm run bench:window`: the maintenance window per PBX, with and without prefetch.
 *
 *   LAB_INSTANCE=2 npm run bench:window -- [--hosts 10] [--rate 20mbit] [--only prefetch|no-prefetch] [--out bench/results] [--render]
 *   (--render: analyse the raw data of the last runs in bench/tmp again, without running)
 *
 * On a lab instance of its own (default LAB_INSTANCE=2, so the shared lab stays free) with N
 * bookworm hosts and the lab repository's real OS updates on, `run upgrade` with serial
 * [1, 2, '50%'] once with `--no-prefetch` and once with the prefetch, each from fresh hosts.
 * The repository is served through an HTB limit on the lab bridge (`tc`, one class per host
 * under a shared RATE parent, only traffic from the repo port; removed afterwards), whose
 * per-host byte counters, sampled every 0.25 s, say what each host downloaded inside its window.
 *
 * - window: a host's first changed task's start → the end of its verify task (admin page), from
 *   the run's JSON events (one clock: the lab hosts share the controller's kernel).
 * - host-side time: each command the runner ran, as the host saw it (root's login shell and
 *   /usr/local/sbin/apt-get are `date +%s.%N` wrappers writing /var/log/ucw-timing.log, so the
 *   detached apt-get counts while the runner polls it), plus each reboot from the reboot command's
 *   start to the boot-ready mark the host writes; the union, clipped to the window.
 * - runner's share: (window − host-side time) / window, every gap included.
 */
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, statSync, existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

process.env.LAB_INSTANCE ??= '2';
const { readLab } = await import('../lab/state.ts');
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (n: string, d: string) => (argv.includes(`--${n}`) ? argv[argv.indexOf(`--${n}`) + 1]! : d);
const N = Number(opt('hosts', '10'));
const RATE = opt('rate', '20mbit');
const OUT = resolve(opt('out', join(ROOT, 'bench/results')));
const ONLY = opt('only', '');
const SERIAL = '1,2,50%';

const lab = () => readLab();
const labCli = (...a: string[]) =>
  execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'lab/cli.ts'), ...a], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: process.env,
  }).toString();
const hostSsh = (h: string, cmd: string) => labCli('ssh', h, cmd);
const names = () => Array.from({ length: N }, (_, i) => `lab${i + 1}`);

const TSH = `#!/bin/sh
# bench/window.ts: every command the runner runs, timed as the host sees it
case "$2" in "exec sh -c"*) exec /bin/sh "$@";; esac
s=$(date +%s.%N); /bin/sh "$@"; rc=$?
echo "$s $(date +%s.%N) $rc sh" >> /var/log/ucw-timing.log; exit $rc
`;
const APTW = `#!/bin/sh
s=$(date +%s.%N); /usr/bin/apt-get "$@"; rc=$?
echo "$s $(date +%s.%N) $rc apt-get" >> /var/log/ucw-timing.log; exit $rc
`;

function prepareHosts(): void {
  labCli('up', String(N));
  labCli('reset', ...names());
  for (const h of names()) {
    labCli('set', h, 'os-updates', 'on');
    hostSsh(
      h,
      `printf '%s' '${TSH}' > /usr/local/bin/ucw-tsh && printf '%s' '${APTW}' > /usr/local/sbin/apt-get && chmod 755 /usr/local/bin/ucw-tsh /usr/local/sbin/apt-get && : > /var/log/ucw-timing.log && usermod -s /usr/local/bin/ucw-tsh root`,
    );
  }
}

// ---- tc: the repository through RATE, one counted class per host --------------------------
const tc = (...a: string[]) => execFileSync('tc', a, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const classOf = (i: number) => `1:${(0x100 + i).toString(16)}`;
function limitOn(): void {
  const L = lab();
  const dev = L.bridge;
  const port = new URL(L.repoUrl).port;
  limitOff();
  tc('qdisc', 'add', 'dev', dev, 'root', 'handle', '1:', 'htb', 'default', '99');
  tc('class', 'add', 'dev', dev, 'parent', '1:', 'classid', '1:1', 'htb', 'rate', RATE, 'ceil', RATE);
  tc('class', 'add', 'dev', dev, 'parent', '1:', 'classid', '1:99', 'htb', 'rate', '10gbit');
  for (const h of L.hosts.slice(0, N)) {
    tc('class', 'add', 'dev', dev, 'parent', '1:1', 'classid', classOf(h.index), 'htb', 'rate', '1mbit', 'ceil', RATE);
    tc(
      'filter',
      'add',
      'dev',
      dev,
      'parent',
      '1:',
      'protocol',
      'ip',
      'prio',
      '1',
      'u32',
      'match',
      'ip',
      'dst',
      `${h.address}/32`,
      'match',
      'ip',
      'sport',
      port,
      '0xffff',
      'flowid',
      classOf(h.index),
    );
  }
}
function limitOff(): void {
  try {
    tc('qdisc', 'del', 'dev', lab().bridge, 'root');
  } catch {
    /* none */
  }
}
function counters(): Record<string, number> {
  const L = lab();
  // iproute2 here prints no JSON for classes: "class htb 1:101 …" then " Sent N bytes …"
  const text = tc('-s', 'class', 'show', 'dev', L.bridge);
  const out = [...text.matchAll(/^class htb (\S+) [^\n]*\n\s*Sent (\d+) bytes/gm)].map((m) => ({
    handle: m[1]!,
    stats: { bytes: Number(m[2]) },
  }));
  const res: Record<string, number> = {};
  for (const h of L.hosts.slice(0, N)) res[h.name] = out.find((c) => c.handle === classOf(h.index))?.stats?.bytes ?? 0;
  return res;
}

interface Sample {
  t: number;
  bytes: Record<string, number>;
  ready: Record<string, number>;
}
function sampler(): { stop: () => Sample[] } {
  const L = lab();
  const samples: Sample[] = [];
  const take = () => {
    const ready: Record<string, number> = {};
    for (const h of L.hosts.slice(0, N)) {
      const f = join(h.dir, 'status/ready');
      ready[h.name] = existsSync(f) ? statSync(f).mtimeMs / 1000 : 0;
    }
    samples.push({ t: Date.now() / 1000, bytes: counters(), ready });
  };
  take();
  const timer = setInterval(take, 250);
  return { stop: () => (clearInterval(timer), take(), samples) };
}

// ---- one run: raw data kept in bench/tmp, analysed afterwards (--render re-analyses) ---------
interface Ev {
  time: string;
  type: string;
  host?: string;
  task?: string;
  module?: string;
  changed?: boolean;
  status?: string;
  durationMs?: number;
  taskId?: string;
  hosts?: string[];
  phase?: string;
}
interface Raw {
  variant: string;
  exitCode: number;
  t0: number;
  wallS: number;
  events: Ev[];
  samples: Sample[];
  hostLogs: Record<string, string>;
  addresses: Record<string, string>;
  repoLines: string[];
  out: string;
}
interface HostWindow {
  host: string;
  batch: number;
  start: number;
  end: number;
  windowS: number;
  hostSideS: number;
  runnerS: number;
  runnerPct: number;
  downloadBytes: number;
  repoRequests: number;
  prefetchS?: number;
  runnerByTask: Record<string, number>;
}
interface RunResult {
  variant: string;
  exitCode: number;
  wallS: number;
  preflightS: number;
  hosts: HostWindow[];
  preflightTable: string[];
}

async function collect(variant: 'prefetch' | 'no-prefetch'): Promise<Raw> {
  prepareHosts();
  const tmp = join(ROOT, 'bench/tmp');
  mkdirSync(tmp, { recursive: true });
  const json = join(tmp, `window-${variant}.jsonl`);
  writeFileSync(json, '');
  const repoLog = join(lab().dir, 'logs/repo-server.log');
  const repoStart = readFileSync(repoLog, 'utf8').length;
  limitOn();
  const s = sampler();
  const t0 = Date.now() / 1000;
  const args = [
    'bin/run.js',
    'upgrade',
    'inventory/lab.ts',
    '--serial',
    SERIAL,
    '--json',
    json,
    '--plain',
    '--limit',
    names().join(','),
    ...(variant === 'no-prefetch' ? ['--no-prefetch'] : []),
  ];
  const out: string[] = [];
  const exitCode = await new Promise<number>((res) => {
    const c = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, LAB_USER: 'root' }, stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout.on('data', (d: Buffer) => out.push(d.toString()));
    c.stderr.on('data', (d: Buffer) => process.stderr.write(d));
    c.on('close', (code) => res(code ?? -1));
  });
  const wallS = Date.now() / 1000 - t0;
  const samples = s.stop();
  limitOff();
  const hostLogs = Object.fromEntries(names().map((h) => [h, hostSsh(h, 'cat /var/log/ucw-timing.log')]));
  const raw: Raw = {
    variant,
    exitCode,
    t0,
    wallS,
    samples,
    hostLogs,
    out: out.join(''),
    events: readFileSync(json, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Ev),
    addresses: Object.fromEntries(
      lab()
        .hosts.slice(0, N)
        .map((h) => [h.name, h.address]),
    ),
    repoLines: readFileSync(repoLog, 'utf8').slice(repoStart).split('\n'),
  };
  writeFileSync(join(tmp, `window-${variant}.raw.json`), JSON.stringify(raw));
  return raw;
}

/** Tasks that change nothing on the host (the backup writes on the controller): not the window's start. */
const CONTROLLER_ONLY = new Set(['ucwareBackup']);

function analyse(r: Raw): RunResult {
  const at = (e: Ev) => Date.parse(e.time) / 1000;
  const pre = r.events.find((e) => e.type === 'preflight:done');
  const batches = r.events.filter((e) => e.type === 'batch:start' && e.phase !== 'preflight');
  const hosts: HostWindow[] = [];
  for (const h of Object.keys(r.hostLogs)) {
    const mine = r.events.filter((e) => e.host === h);
    const preEnd = pre ? at(pre) : r.t0;
    const spans: { task: string; s: number; e: number }[] = [];
    const open = new Map<string, number>();
    let start = Infinity;
    let end = NaN;
    for (const e of mine) {
      if (e.type === 'task:start') open.set(e.task!, at(e));
      if (e.type !== 'task:done') continue;
      const s = open.get(e.task!) ?? at(e) - (e.durationMs ?? 0) / 1000;
      spans.push({ task: e.task!, s, e: at(e) });
      if (at(e) > preEnd && e.changed && !CONTROLLER_ONLY.has(e.module ?? '') && !Number.isFinite(start)) start = s;
      if (e.task === 'admin client answers') end = at(e);
    }
    if (!Number.isFinite(start) || !Number.isFinite(end)) continue;
    const reboots = spans.filter((x) => /^reboot/.test(x.task));
    const busy = hostIntervals(
      r.hostLogs[h]!,
      r.samples.map((x) => x.ready[h]!),
      reboots,
      start,
      end,
    );
    const hostSideS = unionLength(busy, start, end);
    const runnerByTask: Record<string, number> = {};
    for (const [gs, ge] of gaps(busy, start, end)) {
      const mid = (gs + ge) / 2;
      const t = spans.find((x) => x.s <= mid && mid <= x.e)?.task ?? '(between tasks)';
      runnerByTask[t] = (runnerByTask[t] ?? 0) + (ge - gs);
    }
    const before = [...r.samples].reverse().find((x) => x.t <= start) ?? r.samples[0]!;
    const after = r.samples.find((x) => x.t >= end) ?? r.samples.at(-1)!;
    const repoRequests = r.repoLines.filter((l) => {
      const [ts, ip] = l.split(' ');
      const t = Date.parse(ts ?? '') / 1000;
      return !!ip && ip.endsWith(r.addresses[h]!) && t >= start && t <= end;
    }).length;
    const pf = mine.find((e) => e.type === 'task:done' && e.task === 'prefetch the packages of both phases' && e.status === 'changed');
    const windowS = end - start;
    hosts.push({
      host: h,
      batch: batches.findIndex((b) => b.hosts!.includes(h)) + 1,
      start,
      end,
      windowS,
      hostSideS,
      runnerS: windowS - hostSideS,
      runnerPct: (100 * (windowS - hostSideS)) / windowS,
      downloadBytes: after.bytes[h]! - before.bytes[h]!,
      repoRequests,
      ...(pf ? { prefetchS: (pf.durationMs ?? 0) / 1000 } : {}),
      runnerByTask,
    });
  }
  const lines = r.out.split('\n');
  const i = lines.findIndex((l) => / PREFLIGHT: \d+ GO/.test(l));
  const preflightTable = i < 0 ? [] : lines.slice(i, i + 1 + Object.keys(r.hostLogs).length).map((l) => l.replace(/^\S+ /, ''));
  return { variant: r.variant, exitCode: r.exitCode, wallS: r.wallS, preflightS: pre ? at(pre) - r.t0 : 0, hosts, preflightTable };
}

/**
 * The host's own timing log (commands, apt-get) and its reboots: from the first command of a
 * reboot task as the host logged it (`sleep 1; reboot`) to the boot-ready mark the host wrote.
 */
function hostIntervals(
  log: string,
  readyMarks: number[],
  reboots: { s: number; e: number }[],
  from: number,
  to: number,
): [number, number][] {
  const iv: [number, number][] = [];
  for (const l of log.split('\n')) {
    const [s, e] = l.split(' ').map(Number);
    if (Number.isFinite(s) && Number.isFinite(e)) iv.push([s!, e!]);
  }
  const marks = [...new Set(readyMarks)].filter((t) => t > from && t < to + 1);
  for (const rb of reboots) {
    const mark = marks.find((t) => t > rb.s && t <= rb.e + 1);
    const first = iv
      .filter(([s]) => s >= rb.s && s <= rb.e)
      .map(([s]) => s)
      .sort((a, b) => a - b)[0];
    if (mark !== undefined && first !== undefined) iv.push([first, mark]);
  }
  return iv;
}

function merged(iv: [number, number][], from: number, to: number): [number, number][] {
  const c = iv
    .map(([s, e]) => [Math.max(s, from), Math.min(e, to)] as [number, number])
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const x of c) {
    const last = out.at(-1);
    if (last && x[0] <= last[1]) last[1] = Math.max(last[1], x[1]);
    else out.push([...x]);
  }
  return out;
}
const unionLength = (iv: [number, number][], from: number, to: number) => merged(iv, from, to).reduce((a, [s, e]) => a + e - s, 0);
function gaps(iv: [number, number][], from: number, to: number): [number, number][] {
  const out: [number, number][] = [];
  let cur = from;
  for (const [s, e] of merged(iv, from, to)) {
    if (s > cur) out.push([cur, s]);
    cur = Math.max(cur, e);
  }
  if (to > cur) out.push([cur, to]);
  return out;
}

// ---- main ----------------------------------------------------------------------------------
const started = Date.now();
const VARIANTS = (['prefetch', 'no-prefetch'] as const).filter((v) => !ONLY || ONLY === v);
const raws: Raw[] = [];
if (argv.includes('--render')) {
  for (const v of VARIANTS) {
    const f = join(ROOT, 'bench/tmp', `window-${v}.raw.json`);
    if (existsSync(f)) raws.push(JSON.parse(readFileSync(f, 'utf8')) as Raw);
  }
} else {
  try {
    for (const v of VARIANTS) raws.push(await collect(v));
  } finally {
    limitOff();
  }
}
const runs = raws.map(analyse);
const f1 = (x: number) => x.toFixed(1);
const md: string[] = [
  '# Maintenance window (bench/window.ts)',
  '',
  `${new Date().toISOString()}, LAB_INSTANCE=${process.env.LAB_INSTANCE}, ${N} bookworm hosts with the lab's real updates, serial [1, 2, '50%'], repository through ${RATE} (tc HTB on ${lab().bridge}); ${argv.includes('--render') ? 're-rendered from bench/tmp' : `bench took ${f1((Date.now() - started) / 1000)} s`}. Window: the first task that changes the host (the backup, which writes on the controller, not counted) → the end of the verify task.`,
  '',
];
for (const r of runs) {
  const w = r.hosts.map((h) => h.windowS);
  md.push(`## ${r.variant}: exit ${r.exitCode}, fleet wall ${f1(r.wallS)} s (preflight ${f1(r.preflightS)} s)`, '');
  if (r.preflightTable.length) md.push('```', ...r.preflightTable, '```', '');
  md.push(
    '| host | batch | prefetch s (preflight) | window s | host-side s | runner s | runner % | repo bytes in window | repo requests in window |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const h of r.hosts)
    md.push(
      `| ${h.host} | ${h.batch} | ${h.prefetchS !== undefined ? f1(h.prefetchS) : '–'} | ${f1(h.windowS)} | ${f1(h.hostSideS)} | ${f1(h.runnerS)} | ${h.runnerPct.toFixed(2)} | ${h.downloadBytes} | ${h.repoRequests} |`,
    );
  const byTask: Record<string, number> = {};
  for (const h of r.hosts) for (const [t, x] of Object.entries(h.runnerByTask)) byTask[t] = (byTask[t] ?? 0) + x;
  const top = Object.entries(byTask)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8);
  md.push(
    '',
    `The runner's time (window minus host-side time) by the task it fell in, summed over the ${r.hosts.length} hosts:`,
    '',
    '| task | runner s (all hosts) | per host s |',
    '|---|---|---|',
  );
  for (const [t, x] of top) md.push(`| ${t} | ${f1(x)} | ${(x / r.hosts.length).toFixed(2)} |`);
  if (w.length)
    md.push(
      '',
      `mean window ${f1(w.reduce((a, b) => a + b, 0) / w.length)} s (min ${f1(Math.min(...w))}, max ${f1(Math.max(...w))}); download bytes inside windows: ${r.hosts.reduce((a, h) => a + h.downloadBytes, 0)}; runner's share: mean ${(r.hosts.reduce((a, h) => a + h.runnerPct, 0) / r.hosts.length).toFixed(2)} %, max ${Math.max(...r.hosts.map((h) => h.runnerPct)).toFixed(2)} %`,
      '',
    );
}
mkdirSync(OUT, { recursive: true });
writeFileSync(
  join(OUT, 'window.json'),
  JSON.stringify({ at: new Date().toISOString(), hosts: N, rate: RATE, serial: SERIAL, runs }, null, 2) + '\n',
);
writeFileSync(join(OUT, 'window.md'), md.join('\n') + '\n');
console.log(md.join('\n'));
