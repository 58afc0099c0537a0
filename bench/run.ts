/**
 * `npm run bench`: our runner vs ansible-playbook vs a no-runner floor, on the same lab hosts.
 *
 *   npm run bench -- [--sizes 1,10,50,100] [--repeat 3] [--ansible-repeat-large 1] [--large-from 50]
 *                    [--workloads true20,four] [--skip-ansible] [--tools ours,floor-shell-exec] [--out bench/results]
 *                    [--also-runner DIR[:LABEL][,DIR[:LABEL]…]]   also measure other checkouts of the runner (tool ours+LABEL)
 *                    [--render]                    only re-render results.md from results.json + bench/analysis.md
 *
 * Hosts are lab4..lab(3+N) (light lab hosts; lab1..lab3 belong to the test suites and are never used).
 * Each tool runs as its own process under /usr/bin/time (controller CPU = user+sys of the process
 * and the children it waited for, peak RSS = its largest process); the harness also samples the RSS
 * of the whole process tree and the machine's total CPU (/proc/stat), which includes the hosts' sshd.
 * Writes bench/results/results.md and results.json.
 */
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir, cpus, totalmem, release } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { readLab, type LabState } from '../lab/state.ts';
import { expectedState } from './workload4.ts';
import type { FloorResult } from './floor.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BENCH = join(ROOT, 'bench');
const LAB_MAX = 240;
const FIRST = 4; // lab1..lab3 are the test suites' hosts

// ---- options ------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : def;
};
const flag = (name: string) => argv.includes(`--${name}`);
if (flag('help')) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]);
  process.exit(0);
}
const wantedSizes = opt('sizes', '1,10,50,100').split(',').map(Number);
const repeat = Number(opt('repeat', '3'));
const ansibleRepeatLarge = Number(opt('ansible-repeat-large', '1'));
const largeFrom = Number(opt('large-from', '50'));
const workloads = opt('workloads', 'true20,four').split(',') as Workload[];
const skipAnsible = flag('skip-ansible');
// --tools ours,floor-shell-exec: only these tools (e.g. the runner against its yardstick, interleaved).
const onlyTools = opt('tools', '').split(',').filter(Boolean);
const outDir = resolve(opt('out', join(BENCH, 'results')));
// --also-runner DIR[:LABEL],…: other copies of the runner (e.g. with a fix applied, or an older commit), each measured
// as tool 'ours+LABEL', interleaved with the others in every repeat.
const alsoRunner = opt('also-runner', '');
// ours = the runner's default channel (persistent); ours-exec = `--channel exec` (an exec channel per command).
const VARIANTS: Record<string, string> = { ours: ROOT, 'ours-exec': ROOT };
const VARIANT_ARGS: Record<string, string[]> = { 'ours-exec': ['--channel', 'exec'] };
for (const spec of alsoRunner.split(',').filter(Boolean)) {
  const [dir, label] = spec.split(':');
  VARIANTS[`ours+${label ?? 'alt'}`] = resolve(dir!);
}
const isOurs = (t: Tool) => t in VARIANTS;

type Workload = 'true20' | 'four';
type Tool = string; // 'ours' | 'ours+LABEL' | 'ansible' | 'floor'
const TASKS: Record<Workload, number> = { true20: 20, four: 4 };

const log = (s: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

// ---- measuring one process ---------------------------------------------------------------------
interface Measured {
  code: number | null;
  wallS: number;
  cpuS: number; // user+sys of the process and its waited-for children
  maxRssMb: number; // largest single process (rusage)
  treeRssMb: number; // peak of the summed RSS of the process tree, sampled every 100 ms
  machineCpuS: number; // whole machine, /proc/stat busy time
  uvu: number; // others' test runs (uvu processes) seen during the measurement
  stdout: string;
  stderr: string;
}

function machineBusyS(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + (f[7] ?? 0)) / 100;
}

function treeRssKb(pid: number): number {
  let sum = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop()!;
    try {
      const rss = Number(readFileSync(`/proc/${p}/statm`, 'utf8').split(' ')[1]) * 4;
      sum += rss;
      for (const t of readdirSync(`/proc/${p}/task`)) {
        const kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim();
        if (kids) for (const k of kids.split(' ')) stack.push(Number(k));
      }
    } catch {
      /* gone */
    }
  }
  return sum;
}

export function countUvu(): number {
  let n = 0;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('uvu')) n++;
    } catch {
      /* gone */
    }
  }
  return n;
}

function measure(cmd: string, args: string[], o: { cwd?: string; env?: Record<string, string> } = {}): Promise<Measured> {
  const timeFile = join(tmpdir(), `ucw-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const uvu = countUvu();
  return new Promise((res, rej) => {
    const cpu0 = machineBusyS();
    const t0 = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '%U %S %M', '-o', timeFile, cmd, ...args], {
      cwd: o.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    let treePeak = 0;
    const timer = setInterval(() => (treePeak = Math.max(treePeak, treeRssKb(child.pid!))), 100);
    child.on('error', rej);
    child.on('close', (code) => {
      clearInterval(timer);
      const wallS = (performance.now() - t0) / 1000;
      const machineCpuS = machineBusyS() - cpu0;
      const t = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
      rmSync(timeFile, { force: true });
      res({
        code,
        wallS,
        cpuS: t[0]! + t[1]!,
        maxRssMb: t[2]! / 1024,
        treeRssMb: treePeak / 1024,
        machineCpuS,
        uvu: Math.max(uvu, countUvu()),
        stdout,
        stderr,
      });
    });
  });
}

// ---- the three tools --------------------------------------------------------------------------
interface Sample extends Omit<Measured, 'stdout' | 'stderr'> {
  ok: boolean;
  problem?: string;
  /** ours / floor: time inside the run (without process start-up) */
  runS?: number;
  /** ours / floor: (last task done − first task done) / (tasks − 1), median over hosts, ms */
  warmTaskMs?: number;
  /** ours: changed count summed over hosts */
  changed?: number;
}

let tmpRoot = '';
let runNo = 0;

const hostsEnv = (hosts: string[]) => ({ BENCH_HOSTS: hosts.join(',') });

function warmFrom(timesByHost: number[][]): number {
  return median(
    timesByHost
      .filter((t) => t.length > 1)
      .map((t) => {
        const s = [...t].sort((a, b) => a - b);
        return (s[s.length - 1]! - s[0]!) / (s.length - 1);
      }),
  );
}

async function runOurs(tool: Tool, w: Workload, hosts: string[], expectChanged0: boolean): Promise<Sample> {
  const dir = join(tmpRoot, `ours-${++runNo}`);
  mkdirSync(dir, { recursive: true });
  const events = join(dir, 'events.jsonl');
  // each checkout runs its own copy of the bench playbooks: they import that checkout's runner
  const bench = join(VARIANTS[tool]!, 'bench');
  const play = join(bench, w === 'true20' ? 'play20.ts' : 'play4.ts');
  const m = await measure(
    process.execPath,
    [
      join(VARIANTS[tool]!, 'bin/run.js'),
      play,
      join(bench, 'inventory.ts'),
      '--forks',
      String(hosts.length),
      '--plain',
      '--json',
      events,
      ...(VARIANT_ARGS[tool] ?? []),
    ],
    { cwd: dir, env: hostsEnv(hosts) },
  );
  const s: Sample = { ...strip(m), ok: m.code === 0 };
  if (m.code !== 0) {
    const fails = (m.stdout + m.stderr)
      .split('\n')
      .filter((l) => /failed:|exit code|unreachable:/.test(l))
      .slice(0, 2)
      .join(' / ');
    s.problem = `exit ${m.code}: ${fails || (m.stdout + m.stderr).slice(-600)}`;
  }
  try {
    const evs = readFileSync(events, 'utf8')
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            type: string;
            time: string;
            host?: string;
            status?: string;
            durationMs?: number;
            recap?: Record<string, { ok: number; changed: number; failed: number; unreachable: number }>;
          },
      );
    const done = evs.find((e) => e.type === 'run:done');
    if (done) {
      s.runS = done.durationMs! / 1000;
      const recap = done.recap!;
      s.changed = 0;
      for (const h of hosts) {
        const r = recap[h];
        if (!r || r.failed || r.unreachable || r.ok !== TASKS[w]) {
          s.ok = false;
          s.problem ??= `${h}: recap ${JSON.stringify(r)}`;
          continue;
        }
        s.changed += r.changed;
      }
      if (expectChanged0 && s.changed !== 0) {
        s.ok = false;
        s.problem ??= `second run changed ${s.changed} task(s)`;
      }
    } else {
      s.ok = false;
      s.problem ??= 'no run:done event';
    }
    const by = new Map<string, number[]>();
    for (const e of evs) if (e.type === 'task:done' && e.host) by.set(e.host, [...(by.get(e.host) ?? []), Date.parse(e.time)]);
    s.warmTaskMs = warmFrom([...by.values()]);
  } catch (e) {
    s.ok = false;
    s.problem ??= `events: ${String(e)}`;
  }
  rmSync(dir, { recursive: true, force: true }); // logs/ of the run: not kept
  return s;
}

function ansibleFiles(lab: LabState, hosts: string[]): { cfg: string; inv: string; cp: string } {
  const dir = join(tmpRoot, `ansible-${++runNo}`);
  const cp = join(dir, 'cp');
  mkdirSync(cp, { recursive: true });
  const byName = new Map(lab.hosts.map((h) => [h.name, h.address]));
  const inv = join(dir, 'inventory.ini');
  writeFileSync(
    inv,
    [
      '[all]',
      ...hosts.map((h) => `${h} ansible_host=${byName.get(h)}`),
      '[all:vars]',
      'ansible_user=root',
      `ansible_ssh_private_key_file=${lab.keyFile}`,
      'ansible_python_interpreter=/usr/bin/python3',
      '',
    ].join('\n'),
  );
  const cfg = join(dir, 'ansible.cfg');
  writeFileSync(
    cfg,
    [
      '[defaults]',
      `forks = ${hosts.length}`,
      'host_key_checking = True',
      'retry_files_enabled = False',
      'interpreter_python = /usr/bin/python3',
      '[ssh_connection]',
      'pipelining = True',
      `control_path_dir = ${cp}`,
      // Ansible's default ssh_args (-C, ControlMaster auto, ControlPersist 60s) + the lab's known_hosts, strict like ours.
      `ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${lab.knownHostsFile} -o StrictHostKeyChecking=yes`,
      '',
    ].join('\n'),
  );
  return { cfg, inv, cp };
}

function closeMasters(cp: string) {
  for (const s of existsSync(cp) ? readdirSync(cp) : []) {
    try {
      execFileSync('ssh', ['-o', `ControlPath=${join(cp, s)}`, '-O', 'exit', 'x'], { stdio: 'ignore', timeout: 5000 });
    } catch {
      /* already gone */
    }
  }
}

async function runAnsible(lab: LabState, w: Workload, hosts: string[], expectChanged0: boolean): Promise<Sample> {
  const f = ansibleFiles(lab, hosts);
  const m = await measure('ansible-playbook', ['-i', f.inv, join(BENCH, 'ansible', w === 'true20' ? 'play20.yml' : 'play4.yml')], {
    env: { ANSIBLE_CONFIG: f.cfg, ANSIBLE_NOCOLOR: '1' },
  });
  closeMasters(f.cp);
  const s: Sample = { ...strip(m), ok: m.code === 0 };
  if (m.code !== 0) s.problem = `exit ${m.code}: ${(m.stdout + m.stderr).slice(-600)}`;
  const recap = new Map<string, Record<string, number>>();
  for (const l of m.stdout.split('\n')) {
    const x = /^(\S+)\s+:\s+(ok=.*)$/.exec(l.trim());
    if (x)
      recap.set(
        x[1]!,
        Object.fromEntries(
          x[2]!
            .trim()
            .split(/\s+/)
            .map((kv) => kv.split('='))
            .map(([k, v]) => [k!, Number(v)]),
        ),
      );
  }
  s.changed = 0;
  for (const h of hosts) {
    const r = recap.get(h);
    if (!r || r.failed || r.unreachable || r.ok !== TASKS[w]) {
      s.ok = false;
      s.problem ??= `${h}: recap ${JSON.stringify(r)}`;
      continue;
    }
    s.changed += r.changed!;
  }
  if (expectChanged0 && s.changed !== 0) {
    s.ok = false;
    s.problem ??= `second run changed ${s.changed} task(s)`;
  }
  return s;
}

async function floorRaw(what: string, hosts: string[], mode: FloorMode = 'exec'): Promise<{ m: Measured; r?: FloorResult }> {
  const m = await measure(process.execPath, ['--import', 'tsx', join(BENCH, 'floor.ts'), what, mode], { env: hostsEnv(hosts) });
  let r: FloorResult | undefined;
  try {
    r = JSON.parse(m.stdout) as FloorResult;
  } catch {
    /* reported below */
  }
  return { m, r };
}

type FloorMode = 'exec' | 'shell' | 'shell-exec';
const FLOORS: Record<string, FloorMode> = { floor: 'exec', 'floor-shell': 'shell', 'floor-shell-exec': 'shell-exec' };

async function runFloor(w: Workload, hosts: string[], mode: FloorMode): Promise<Sample> {
  const { m, r } = await floorRaw(w, hosts, mode);
  const s: Sample = { ...strip(m), ok: m.code === 0 && !!r };
  if (!s.ok)
    s.problem = `exit ${m.code}: ${(r ? JSON.stringify(r.hosts.find((h) => h.error || h.codes.some((c) => c !== 0))) : m.stderr).slice(-600)}`;
  if (r) {
    s.runS = r.totalMs / 1000;
    s.warmTaskMs = warmFrom(r.hosts.map((h) => h.doneMs));
  }
  return s;
}

const strip = ({ stdout: _o, stderr: _e, ...rest }: Measured) => rest;

/** The 4-task workload's end state on every host, compared with what it should be. */
async function checkState(hosts: string[]): Promise<string | undefined> {
  const want = await expectedState();
  const { r } = await floorRaw('state', hosts);
  if (!r) return 'state: no answer';
  const bad = r.hosts.filter((h) => h.error || (h.stdout[0] ?? '').trim() !== want);
  return bad.length
    ? `${bad.length}/${hosts.length} hosts differ, e.g. ${bad[0]!.host}: ${JSON.stringify(bad[0]!.error ?? bad[0]!.stdout[0])}`
    : undefined;
}

async function cleanup(hosts: string[]) {
  const { r } = await floorRaw('cleanup', hosts);
  if (!r || r.hosts.some((h) => h.error)) throw new Error(`cleanup failed: ${JSON.stringify(r?.hosts.find((h) => h.error))}`);
}

// ---- the run ------------------------------------------------------------------------------------
interface Row {
  workload: Workload;
  phase: 'run' | 'first' | 'second';
  n: number;
  tool: Tool;
  samples: Sample[];
  stateCheck?: string; // four: undefined = every host right
}

function version(cmd: string, args: string[]): string {
  try {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.error) throw r.error;
    return (r.stdout || r.stderr).split('\n')[0]!.trim() || 'absent';
  } catch (e) {
    const err = e as { stderr?: string };
    return (err.stderr ?? '').split('\n')[0]!.trim() || 'absent';
  }
}

async function main() {
  const started = performance.now();
  tmpRoot = mkdtempSync(join(tmpdir(), 'ucw-bench-'));
  const notes: string[] = [];
  const maxHosts = LAB_MAX - (FIRST - 1);
  const sizes = wantedSizes.filter((n) => {
    if (n > maxHosts) notes.push(`N=${n} not run: the lab holds at most ${LAB_MAX} hosts, ${maxHosts} of them beyond lab1..lab3.`);
    return n <= maxHosts;
  });
  const maxN = Math.max(...sizes);
  const haveAnsible =
    !skipAnsible && (!onlyTools.length || onlyTools.includes('ansible')) && version('ansible-playbook', ['--version']) !== 'absent';
  if (!skipAnsible && !haveAnsible)
    notes.push('ansible-playbook is not installed (`apt-get install ansible-core`): Ansible columns are empty.');

  // Lab: lab4..lab(3+maxN) as light hosts. `up` never removes hosts, so ask for at least what runs.
  let lab = readLabOrNull();
  const want = Math.max(FIRST - 1 + maxN, lab?.hosts.length ?? 0);
  log(`lab up ${want} --light`);
  execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'lab/cli.ts'), 'up', String(want), '--light'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  lab = readLab();
  const all = Array.from({ length: maxN }, (_, i) => `lab${FIRST + i}`);
  const missing = all.filter((h) => !lab!.hosts.some((x) => x.name === h));
  if (missing.length) throw new Error(`lab hosts not running: ${missing.join(', ')}`);
  const heavy = all.filter((h) => !lab!.hosts.find((x) => x.name === h)!.light);
  if (heavy.length) notes.push(`not light (MariaDB running): ${heavy.join(', ')}`);

  // Warm-up: one connection to every host (page cache, sshd), not measured.
  await floorRaw('true20', all);

  const env = {
    date: new Date().toISOString(),
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? '?',
    memGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    ssh2: (JSON.parse(readFileSync(join(ROOT, 'node_modules/ssh2/package.json'), 'utf8')) as { version: string }).version,
    runnerCommit: version('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']),
    ansible: haveAnsible ? version('ansible-playbook', ['--version']) : 'not run',
    python: version('python3', ['--version']),
    openssh: version('ssh', ['-V']),
    hosts: `lab${FIRST}..lab${FIRST + maxN - 1}, light Debian 12 lab hosts (sshd in network namespaces on this machine)`,
    repeat,
    ansibleRepeatLarge,
    largeFrom,
    variants: VARIANTS,
  };

  // Start-up: `npx run --list-tasks upgrade`.
  // The first start after a change type-checks and bundles (cached after): measured once from
  // empty caches, then every playbook the bench runs is warmed up, as a user's second run.
  rmSync(join(ROOT, 'node_modules', '.cache', 'ucw-run'), { recursive: true, force: true });
  const cold = await measure(process.execPath, [join(ROOT, 'bin/run.js'), '--list-tasks', 'upgrade']);
  log(`first start after a change (type check + bundle build) ${cold.wallS.toFixed(2)} s`);
  // A real run on one host: --list-tasks checks the playbook alone, a run playbook + inventory.
  for (const dir of new Set(Object.values(VARIANTS)))
    for (const p of ['play20.ts', 'play4.ts'])
      await measure(process.execPath, [join(dir, 'bin/run.js'), join(dir, 'bench', p), join(dir, 'bench', 'inventory.ts'), '--plain'], {
        cwd: tmpRoot,
        env: hostsEnv([`lab${FIRST}`]),
      });
  const startup: Measured[] = [];
  for (let i = 0; i < Math.max(3, repeat); i++)
    startup.push(await measure(process.execPath, [join(ROOT, 'bin/run.js'), '--list-tasks', 'upgrade']));
  if (startup.some((m) => m.code !== 0))
    notes.push(`--list-tasks upgrade failed: ${startup.find((m) => m.code !== 0)!.stderr.slice(-300)}`);
  log(`start-up ${median(startup.map((m) => m.wallS)).toFixed(3)} s`);

  const rows: Row[] = [];
  const row = (workload: Workload, phase: Row['phase'], n: number, tool: Tool) => {
    let r = rows.find((x) => x.workload === workload && x.phase === phase && x.n === n && x.tool === tool);
    if (!r) rows.push((r = { workload, phase, n, tool, samples: [] }));
    return r;
  };
  const tools: Tool[] = [...Object.keys(VARIANTS), ...(haveAnsible ? ['ansible'] : []), ...Object.keys(FLOORS)].filter(
    (t) => !onlyTools.length || onlyTools.includes(t),
  );

  for (const n of sizes) {
    const hosts = all.slice(0, n);
    for (const w of workloads) {
      for (let rep = 0; rep < repeat; rep++) {
        for (const tool of tools) {
          if (tool === 'ansible' && n >= largeFrom && rep >= ansibleRepeatLarge) continue;
          if (w === 'true20') {
            const s = isOurs(tool)
              ? await runOurs(tool, w, hosts, false)
              : tool === 'ansible'
                ? await runAnsible(lab, w, hosts, false)
                : await runFloor(w, hosts, FLOORS[tool]!);
            row(w, 'run', n, tool).samples.push(s);
            log(`${w} N=${n} ${tool} #${rep + 1}: ${s.wallS.toFixed(2)} s ${s.ok ? 'ok' : `PROBLEM ${s.problem}`}`);
          } else {
            await cleanup(hosts);
            for (const phase of ['first', 'second'] as const) {
              const second = phase === 'second';
              const s = isOurs(tool)
                ? await runOurs(tool, w, hosts, second)
                : tool === 'ansible'
                  ? await runAnsible(lab, w, hosts, second)
                  : await runFloor(w, hosts, FLOORS[tool]!);
              row(w, phase, n, tool).samples.push(s);
              log(`${w}/${phase} N=${n} ${tool} #${rep + 1}: ${s.wallS.toFixed(2)} s ${s.ok ? 'ok' : `PROBLEM ${s.problem}`}`);
            }
            const bad = await checkState(hosts);
            const r = row(w, 'second', n, tool);
            if (bad) r.stateCheck = bad;
            if (bad) log(`four N=${n} ${tool}: END STATE WRONG: ${bad}`);
          }
        }
      }
    }
  }
  await cleanup(all);
  rmSync(tmpRoot, { recursive: true, force: true });

  const totalS = (performance.now() - started) / 1000;
  const result = summarize(env, rows, startup, notes, totalS, cold);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'results.json'), JSON.stringify(result, null, 2) + '\n');
  writeFileSync(join(outDir, 'results.md'), markdown(result));
  log(`done in ${totalS.toFixed(0)} s: ${join(outDir, 'results.md')}`);
  if (rows.some((r) => r.samples.some((s) => !s.ok) || r.stateCheck)) process.exitCode = 1;
}

function readLabOrNull(): LabState | null {
  try {
    return readLab();
  } catch {
    return null;
  }
}

// ---- summary ------------------------------------------------------------------------------------
interface Summary {
  workload: Workload;
  phase: string;
  n: number;
  tool: Tool;
  runs: number;
  ok: boolean;
  problems: string[];
  stateCheck: string;
  wallS: number;
  perTaskHostMs: number;
  runS: number;
  warmTaskMs: number;
  cpuS: number;
  maxRssMb: number;
  treeRssMb: number;
  machineCpuS: number;
  vsAnsible: number;
  vsFloor: number;
  vsShell: number;
  uvuSeen: number;
}

function summarize(env: Record<string, unknown>, rows: Row[], startup: Measured[], notes: string[], totalS: number, cold?: Measured) {
  const sum: Summary[] = rows.map((r) => {
    const m = (k: keyof Sample) => median(r.samples.map((s) => s[k] as number));
    const wallS = m('wallS');
    return {
      workload: r.workload,
      phase: r.phase,
      n: r.n,
      tool: r.tool,
      runs: r.samples.length,
      ok: r.samples.every((s) => s.ok) && !r.stateCheck,
      problems: r.samples.filter((s) => s.problem).map((s) => s.problem!.replace(/\s+/g, ' ').slice(0, 300)),
      stateCheck: r.workload === 'four' && r.phase === 'second' ? (r.stateCheck ?? 'ok') : '',
      wallS,
      perTaskHostMs: (wallS * 1000) / (TASKS[r.workload] * r.n),
      runS: m('runS'),
      warmTaskMs: m('warmTaskMs'),
      cpuS: m('cpuS'),
      maxRssMb: m('maxRssMb'),
      treeRssMb: m('treeRssMb'),
      machineCpuS: m('machineCpuS'),
      vsAnsible: NaN,
      vsFloor: NaN,
      vsShell: NaN,
      uvuSeen: Math.max(...r.samples.map((s) => s.uvu)),
    };
  });
  for (const s of sum) {
    const other = (t: Tool) => sum.find((x) => x.workload === s.workload && x.phase === s.phase && x.n === s.n && x.tool === t);
    s.vsAnsible = s.wallS / (other('ansible')?.wallS ?? NaN);
    s.vsFloor = s.wallS / (other('floor')?.wallS ?? NaN);
    s.vsShell = s.wallS / (other('floor-shell')?.wallS ?? NaN);
  }
  const get = (w: Workload, n: number, t: Tool) => sum.find((x) => x.workload === w && x.phase === 'run' && x.n === n && x.tool === t);
  const startupS = median(startup.map((m) => m.wallS));
  const targets: { target: string; tool: string; measured: string; met: boolean | null }[] = [];
  const failedNote = (...xs: (Summary | undefined)[]) =>
    xs.some((x) => x && !x.ok) ? ' — but the run FAILED (see Problems), so the figure is not valid' : '';
  for (const t of Object.keys(VARIANTS)) {
    const o1 = get('true20', 1, t);
    const floorName: Record<string, string> = {
      floor: 'exec-channel floor',
      'floor-shell': 'persistent-shell floor',
      'floor-shell-exec': 'persistent-shell floor with `sh -c` per command',
    };
    for (const fl of Object.keys(FLOORS)) {
      const f1 = get('true20', 1, fl);
      targets.push(
        o1 && f1
          ? {
              target: `per task per host on a warm connection within 1.5× the ${floorName[fl]} (20 × true, 1 host)`,
              tool: t,
              measured: `${o1.warmTaskMs.toFixed(2)} ms vs ${fl} ${f1.warmTaskMs.toFixed(2)} ms = ${(o1.warmTaskMs / f1.warmTaskMs).toFixed(2)}×${failedNote(o1, f1)}`,
              met: o1.ok && o1.warmTaskMs <= 1.5 * f1.warmTaskMs,
            }
          : { target: `warm per task within 1.5× the ${fl}`, tool: t, measured: 'not measured (needs N=1)', met: null },
      );
    }
    const o10 = get('true20', 10, t),
      a10 = get('true20', 10, 'ansible');
    targets.push(
      o10 && a10
        ? {
            target: '20 tasks × 10 hosts at least 20× faster than Ansible (pipelining + ControlPersist)',
            tool: t,
            measured: `${o10.wallS.toFixed(2)} s vs Ansible ${a10.wallS.toFixed(2)} s = ${(a10.wallS / o10.wallS).toFixed(1)}× faster${failedNote(o10, a10)}`,
            met: o10.ok && a10.wallS / o10.wallS >= 20,
          }
        : { target: '20 × 10 hosts ≥ 20× faster than Ansible', tool: t, measured: 'not measured (needs N=10 and Ansible)', met: null },
    );
    const o100 = get('true20', 100, t);
    targets.push(
      o100
        ? {
            target: '20 tasks × 100 hosts under 5 s wall, controller peak RSS under 200 MB',
            tool: t,
            measured: `${o100.wallS.toFixed(2)} s, ${o100.maxRssMb.toFixed(0)} MB${failedNote(o100)}`,
            met: o100.ok && o100.wallS < 5 && o100.maxRssMb < 200,
          }
        : { target: '20 × 100 hosts < 5 s, < 200 MB', tool: t, measured: 'not measured (needs N=100)', met: null },
    );
  }
  targets.push({
    target: 'start-up (`node bin/run.js --list-tasks upgrade`) under 1 s',
    tool: 'ours',
    measured: `${startupS.toFixed(3)} s (median of ${startup.length})`,
    met: startupS < 1,
  });
  if (cold)
    targets.push({
      target: 'the same, first start after a change (type check + bundle build, cached after; not a target)',
      tool: 'ours',
      measured: `${cold.wallS.toFixed(2)} s, peak RSS ${cold.maxRssMb.toFixed(0)} MB`,
      met: null,
    });
  const uvuMax = Math.max(0, ...sum.map((s) => s.uvuSeen), ...startup.map((m) => m.uvu));
  if (uvuMax > 0)
    notes.push(`The machine was NOT quiet: up to ${uvuMax} uvu (others' test) processes ran during some measurements (column "busy").`);
  return {
    env,
    totalS,
    startup: {
      medianS: startupS,
      coldS: cold?.wallS,
      samples: startup.map((m) => ({ wallS: m.wallS, cpuS: m.cpuS, maxRssMb: m.maxRssMb })),
    },
    targets,
    notes,
    summary: sum,
    samples: rows.map((r) => ({ workload: r.workload, phase: r.phase, n: r.n, tool: r.tool, runs: r.samples.map(compact) })),
  };
}

/** One sample as kept in results.json: the numbers, rounded. */
const compact = (s: Sample) => ({
  ok: s.ok,
  wallS: +s.wallS.toFixed(3),
  runS: s.runS === undefined ? undefined : +s.runS.toFixed(3),
  warmTaskMs: s.warmTaskMs === undefined || !Number.isFinite(s.warmTaskMs) ? undefined : +s.warmTaskMs.toFixed(2),
  cpuS: +s.cpuS.toFixed(2),
  maxRssMb: +s.maxRssMb.toFixed(1),
  treeRssMb: +s.treeRssMb.toFixed(1),
  machineCpuS: +s.machineCpuS.toFixed(2),
  busy: s.uvu,
});

function markdown(r: ReturnType<typeof summarize>): string {
  const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '—');
  const e = r.env as Record<string, string | number>;
  const variants = (r.env as { variants?: Record<string, string> }).variants ?? {};
  const ours = (t: string) => t.startsWith('ours');
  const out: string[] = [];
  out.push('# Benchmark: ucw-runner vs Ansible vs the SSH floor', '');
  out.push(
    `Generated by \`npm run bench\` on ${e.date} in ${f(r.totalS, 0)} s. Machine: ${e.cores} cores (${e.cpu}), ${e.memGiB} GiB, Linux ${e.kernel}.`,
  );
  out.push(`Versions: Node ${e.node}, ssh2 ${e.ssh2}, runner at ${e.runnerCommit}; ${e.ansible}, ${e.python}; ${e.openssh}.`);
  out.push(`Hosts: ${e.hosts}. Repeats: ${e.repeat} (median shown); Ansible ${e.ansibleRepeatLarge}× at N ≥ ${e.largeFrom}.`, '');
  out.push(
    'Tools: **ours** = `node bin/run.js bench/play20.ts|play4.ts bench/inventory.ts --forks N` (one process, start-up included); **ansible** = `ansible-playbook` with pipelining, ControlPersist 60 s, forks N, strict host keys; **floor** = `bench/floor.ts`: ssh2 directly, one connection per host, TCP_NODELAY, the same commands back to back, one exec channel each, no runner; **floor-shell** = the same over one persistent `sh` per host (a sentinel line with the exit status ends each command), i.e. without a per-command sshd session and shell start (each command in a subshell: a builtin `true` costs a fork, no exec); **floor-shell-exec** = the same with each command run as `/bin/sh -c LINE` (a fork and an exec per command: what a task costs with exec-channel semantics).' +
      (Object.keys(variants).length > 1
        ? ` **ours-exec** = ours with \`--channel exec\` (an exec channel per command; **ours** uses the default, a persistent framed shell per host).${Object.entries(
            variants,
          )
            .filter(([k]) => k.startsWith('ours+'))
            .map(([k, d]) => `**${k}** = the same with the runner copy in \`${d}\` (\`--also-runner\`; not the repo\'s code).`)
            .join(' ')}`
        : ''),
    '',
  );
  out.push(
    "Workloads: **true20** = 20 × `true`. **four** (after pyinfra) = create a user, touch a file, copy a small file, run a shell command; state removed before each tool's first run, then run twice (*second* must change nothing), then the end state (user + home, touched file, copied content and mode) is checked on every host.",
    '',
  );
  out.push('## Results', '');
  out.push(
    '| workload | N | tool | runs | wall s | ms/task/host (wall) | in-run s | warm ms/task | CPU s | peak RSS MB | tree RSS MB | machine CPU s | ours/ansible | ours/floor | ours/shell floor | check |',
  );
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of r.summary) {
    const wl = s.phase === 'run' ? s.workload : `${s.workload}/${s.phase}`;
    const check =
      (s.ok ? 'ok' : 'FAILED') +
      (s.stateCheck && s.stateCheck !== 'ok' ? `; state: ${s.stateCheck}` : s.stateCheck === 'ok' ? '; state ok' : '') +
      (s.uvuSeen ? ` (busy ${s.uvuSeen})` : '');
    out.push(
      `| ${wl} | ${s.n} | ${s.tool} | ${s.runs} | ${f(s.wallS)} | ${f(s.perTaskHostMs, 1)} | ${f(s.runS)} | ${f(s.warmTaskMs)} | ${f(s.cpuS)} | ${f(s.maxRssMb, 0)} | ${f(s.treeRssMb, 0)} | ${f(s.machineCpuS)} | ${ours(s.tool) ? f(s.vsAnsible, 3) : ''} | ${ours(s.tool) ? f(s.vsFloor, 2) : ''} | ${ours(s.tool) ? f(s.vsShell, 2) : ''} | ${check} |`,
    );
  }
  out.push('');
  out.push(
    "Columns: *wall* = process start to exit, median. *ms/task/host* = wall ÷ (tasks × N). *in-run* = ours: the run's own duration (run:done), floor: connect + commands, both without process start-up. *warm ms/task* = (last task done − first task done) ÷ (tasks − 1) per host, median over hosts (true20 is the meaningful one). *CPU s* = user+sys of the tool's process and the children it waited for (Ansible's ControlPersist masters detach, so their ssh CPU is not in it; it is in *machine CPU*). *peak RSS* = largest single process; *tree RSS* = peak summed RSS of the process tree, sampled every 100 ms. *machine CPU* = busy time of all cores during the run, including the hosts' sshd and shells (they run on this machine). *ours/ansible*, *ours/floor*, *ours/shell floor* = wall ratios (below 1 = ours is faster).",
    '',
  );
  out.push('## Targets', '');
  out.push('| target | tool | measured | met |', '|---|---|---|---|');
  for (const t of r.targets)
    out.push(`| ${t.target} | ${t.tool} | ${t.measured} | ${t.met === null ? '—' : t.met ? 'met' : '**missed**'} |`);
  out.push('');
  if (r.notes.length) out.push('## Notes from this run', '', ...r.notes.map((n) => `- ${n}`), '');
  const problems = r.summary.filter((s) => s.problems.length);
  if (problems.length) {
    out.push('## Problems', '');
    for (const s of problems)
      out.push(`- ${s.workload}/${s.phase} N=${s.n} ${s.tool}: ${s.problems.map((p) => p.replace(/\n/g, ' ')).join(' | ')}`);
    out.push('');
  }
  const analysis = join(BENCH, 'analysis.md');
  if (existsSync(analysis)) out.push(readFileSync(analysis, 'utf8').trim(), '');
  return out.join('\n');
}

if (flag('render')) {
  // Re-render results.md from results.json (e.g. after editing bench/analysis.md), without measuring.
  const r = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as ReturnType<typeof summarize>;
  writeFileSync(join(outDir, 'results.md'), markdown(r));
  log(`rendered ${join(outDir, 'results.md')}`);
} else await main();
