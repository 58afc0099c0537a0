/**
 * `node --import tsx bench/bigOutput.ts [--bytes N] [--host lab4]`: a task printing 2 GiB (issue 14
 * item 8). The runner (bin/run.js, as an admin starts it) runs bench/playBigOutput.ts on one lab
 * host under /usr/bin/time; reported: controller peak RSS (target < 300 MB), wall time, and
 * whether the host log holds the whole output (every line, the end marker last). Writes
 * bench/results/big-output.md. Run under the machine lock: flock /tmp/ucw-lab.lock …
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, openSync, readSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name: string, def: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1]! : def);
const bytes = Number(opt('bytes', String(2 ** 31)));
const host = opt('host', 'lab4');
const LIMIT_MB = 300;

const cwd = mkdtempSync(join(tmpdir(), 'ucw-bigout-'));
const started = Date.now();
const r = spawnSync(
  '/usr/bin/time',
  [
    '-f',
    '@@time %M %e',
    process.execPath,
    join(ROOT, 'bin/run.js'),
    join(ROOT, 'bench/playBigOutput.ts'),
    join(ROOT, 'bench/inventory.ts'),
    '--plain',
  ],
  {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, BENCH_HOSTS: host, BENCH_BIG_BYTES: String(bytes), NO_COLOR: '1' },
    maxBuffer: 64 << 20,
  },
);
const wallS = (Date.now() - started) / 1000;
const m = /@@time (\d+) ([\d.]+)/.exec(r.stderr ?? '');
const peakMb = m ? Number(m[1]) / 1024 : NaN;
const runDir = readdirSync(join(cwd, 'logs')).map((d) => join(cwd, 'logs', d))[0]!;
const log = join(runDir, `${host}.log`);
const logBytes = statSync(log).size;
const journalBytes = statSync(join(runDir, 'journal.jsonl')).size;
// The output is ceil(bytes/99) lines of (up to) 99 x's, then the marker; each is logged as `out| ` + line + newline.
const lines = Math.ceil(bytes / 99) + 1;
const expectOutBytes = lines * 6 + bytes;
const tail = Buffer.alloc(4096);
const fd = openSync(log, 'r');
readSync(fd, tail, 0, tail.length, Math.max(0, logBytes - tail.length));
closeSync(fd);
const whole = logBytes >= expectOutBytes && tail.toString().includes('out| big-output-end\n');
const verdict = r.status === 0 && whole && peakMb < LIMIT_MB;
const report = [
  '# Big output (issue 14 item 8)',
  '',
  `One task on ${host} prints ${(bytes / 2 ** 20).toFixed(0)} MiB in ${lines} lines (\`bench/playBigOutput.ts\`), run by \`bin/run.js\` under /usr/bin/time on ${new Date().toISOString().slice(0, 10)} at ${spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim()}.`,
  '',
  '| exit | controller peak RSS | wall | host log | whole output in the host log | journal.jsonl |',
  '|---|---|---|---|---|---|',
  `| ${r.status} | ${peakMb.toFixed(0)} MB (target < ${LIMIT_MB}) | ${wallS.toFixed(1)} s | ${(logBytes / 2 ** 20).toFixed(0)} MiB | ${whole ? 'yes' : 'NO'} | ${journalBytes} B |`,
  '',
  verdict ? 'PASS' : 'FAIL',
  '',
].join('\n');
writeFileSync(join(ROOT, 'bench/results/big-output.md'), report);
console.log(report);
if (r.status !== 0) console.log(r.stdout.slice(-3000), r.stderr.slice(-3000));
rmSync(cwd, { recursive: true, force: true });
process.exit(verdict ? 0 : 1);
