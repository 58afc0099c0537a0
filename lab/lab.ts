// Lab orchestration: image cache, network, repo server, hosts, lab.json. Used by lab/cli.ts and the tests.
// Low-level work is in small shell scripts next to this file (build-*.sh, host.sh, supervisor.sh, host-boot.sh).
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  readlinkSync,
  symlinkSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  renameSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labDir, type LabHost, type LabState } from './state.ts';
import { pidAlive, pidFromFile, withPidLock } from './pidLock.ts';
import { labNet, netEnv } from './instance.ts';

export const LAB_SRC = dirname(fileURLToPath(import.meta.url));
// LAB_INSTANCE=N picks another bridge/subnet/port (lab/instance.ts); read once per process
const NET = labNet();
export const BRIDGE = NET.bridge;
export const CONTROLLER = NET.controller;
export const REPO_PORT = NET.repoPort;
export const LAB_NET = NET.net;
export const DEFAULT_HOSTS = 3;
/** Debian releases a lab host can run (Debian 11, 12, 13); new hosts get LAB_SUITE or --suite, default bookworm */
export const SUITES = ['bullseye', 'bookworm', 'trixie'] as const;
export type Suite = (typeof SUITES)[number];
export const DEFAULT_SUITE: Suite = 'bookworm';
export function parseSuite(s: string | undefined): Suite | undefined {
  if (s === undefined || s === '') return undefined;
  if (!(SUITES as readonly string[]).includes(s)) throw new LabError(`unknown suite ${s}; known: ${SUITES.join(', ')}`);
  return s as Suite;
}
/** Debian packages the controller needs for the lab (installed by `npm run lab -- deps`) */
export const DEPS = ['debootstrap', 'apt-utils', 'openssh-client', 'openssl', 'iproute2', 'util-linux', 'procps'];

const log = (msg: string) => process.stderr.write(`lab: ${msg}\n`);

export class LabError extends Error {}

// ---------- small process helpers ----------
function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; quiet?: boolean; input?: string } = {}): string {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    env: { ...process.env, ...netEnv(NET), LAB_DIR: labDir(), ...opts.env },
    input: opts.input ?? '',
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 64 << 20,
  });
  if (r.error) throw new LabError(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    if (opts.quiet) return '';
    throw new LabError(
      `${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${(r.stderr || r.stdout).trim().split('\n').slice(-25).join('\n')}`,
    );
  }
  return r.stdout;
}
function tryRun(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.status === 0;
}
/** runs a long step with output to a log file; on failure shows the log's tail */
function runLogged(cmd: string, args: string[], logFile: string): void {
  mkdirSync(dirname(logFile), { recursive: true });
  const r = spawnSync('bash', ['-c', `"$0" "$@" > "${logFile}" 2>&1 < /dev/null`, cmd, ...args], {
    stdio: 'inherit',
    env: { ...process.env, ...netEnv(NET), LAB_DIR: labDir(), DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) {
    const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-30).join('\n') : '';
    throw new LabError(`${cmd} failed (exit ${r.status}); log ${logFile}:\n${tail}`);
  }
}
function runAsync(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...netEnv(NET), LAB_DIR: labDir() } });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 ? resolve() : reject(new LabError(`${cmd} ${args.join(' ')} failed (exit ${code}): ${out.trim()}`)),
    );
  });
}
async function pool<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const errors: unknown[] = [];
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      for (let t = queue.shift(); t !== undefined; t = queue.shift()) await fn(t).catch((e) => errors.push(e));
    }),
  );
  if (errors.length) throw errors[0];
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}
// ---------- one lab operation at a time (CLI, tests and CI may overlap) ----------
let lockDepth = 0;
async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  // Re-entrant within this process: a lab operation may call another.
  if (lockDepth > 0) return fn();
  const file = join(labDir(), 'run', 'lock');
  return withPidLock(
    file,
    {
      timeoutMs: 10 * 60_000,
      busy: (holder) => new LabError(`another lab command (pid ${holder}) holds ${file}`),
      onWait: (holder) => log(`waiting for another lab command (pid ${holder})`),
    },
    async () => {
      lockDepth++;
      try {
        return await fn();
      } finally {
        lockDepth--;
      }
    },
  );
}

// ---------- paths ----------
export const paths = (d = labDir()) => ({
  dir: d,
  images: join(d, 'images'),
  image: (suite: Suite) => join(d, 'images', suite),
  imageHash: (suite: Suite) => join(d, 'images', `${suite}.sha256`),
  repo: join(d, 'repo'),
  repoHash: join(d, 'repo.sha256'),
  ca: join(d, 'ca'),
  caFile: join(d, 'ca', 'ca.pem'),
  keyFile: join(d, 'keys', 'id_ed25519'),
  secrets: join(d, 'secrets'),
  ucwarePassword: join(d, 'secrets', 'ucware-password'),
  apiCredentials: join(d, 'secrets', 'api.json'),
  knownHosts: join(d, 'known_hosts'),
  labJson: join(d, 'lab.json'),
  run: join(d, 'run'),
  logs: join(d, 'logs'),
  hosts: join(d, 'hosts'),
  repoPid: join(d, 'run', 'repo-server.pid'),
});
export const hostName = (i: number) => `lab${i}`;
export const hostAddress = (i: number) => `${NET.prefix}.0.${10 + i}`;
export const hostNetns = (i: number) => `${NET.nsPrefix}${hostName(i)}`;
export const hostVeth = (i: number) => `${NET.vethPrefix}${i}`;
export const hostDir = (i: number) => join(paths().hosts, hostName(i));

// ---------- prerequisites ----------
function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new LabError('the lab must run as root (it creates network namespaces, overlay mounts and chroots)');
}
export function checkPrereqs(): void {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('the lab must run as root (it creates network namespaces, overlay mounts and chroots)');
  const fs = readText('/proc/filesystems') ?? '';
  if (!/\boverlay\b/.test(fs) && !tryRun('modprobe', ['overlay']))
    problems.push('overlayfs is not available (no "overlay" in /proc/filesystems; modprobe overlay failed)');
  if (!existsSync('/proc/self/ns/net') || !tryRun('unshare', ['--net', '--pid', '--mount', '--fork', 'true'])) {
    problems.push('network/pid/mount namespaces are not usable (`unshare --net --pid --mount --fork true` failed)');
  }
  const missing = ['debootstrap', 'apt-ftparchive', 'dpkg-deb', 'ssh-keygen', 'ssh', 'openssl', 'ip', 'unshare', 'chroot'].filter(
    (c) => !tryRun('sh', ['-c', `command -v ${c}`]),
  );
  if (missing.length) problems.push(`missing commands: ${missing.join(', ')} — run \`npm run lab -- deps\``);
  if (problems.length) throw new LabError(`the lab cannot run here:\n  - ${problems.join('\n  - ')}`);
}

/** installs the controller packages the lab needs: apt-get update once, then install; no-op when present */
export function deps(): void {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Abbrev}\n', ...DEPS], { encoding: 'utf8' });
  const ok = new Set(
    (r.stdout || '')
      .split('\n')
      .filter((l) => /\sii\s*$/.test(l))
      .map((l) => l.split(' ')[0]),
  );
  const missing = DEPS.filter((p) => !ok.has(p));
  if (!missing.length) {
    log(`deps: all present (${DEPS.join(' ')})`);
    return;
  }
  log(`deps: installing ${missing.join(' ')}`);
  run('apt-get', ['update', '-q']);
  run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
}

/** the Debian mirror this machine's own apt sources use (or $DEBIAN_MIRROR) */
export function debianMirror(): string {
  if (process.env.DEBIAN_MIRROR) return process.env.DEBIAN_MIRROR;
  const texts: string[] = [];
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir))
    for (const f of readdirSync(dir).sort()) if (/\.(sources|list)$/.test(f)) texts.push(readFileSync(join(dir, f), 'utf8'));
  if (existsSync('/etc/apt/sources.list')) texts.push(readFileSync('/etc/apt/sources.list', 'utf8'));
  for (const t of texts) {
    for (const block of t.split(/\n\s*\n/)) {
      // deb822
      const uri = /^URIs:\s*(\S+)/m.exec(block)?.[1];
      const suites = /^Suites:\s*(.+)$/m.exec(block)?.[1] ?? '';
      if (uri && /\bbookworm\b(?!-)/.test(suites) && !/security/.test(uri)) return uri;
    }
    for (const line of t.split('\n')) {
      // one-line format
      const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/.exec(line.trim());
      if (m && !/security/.test(m[1])) return m[1];
    }
  }
  return 'http://deb.debian.org/debian';
}

// ---------- cached artefacts ----------
function sha256(parts: (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p);
    h.update('\0');
  }
  return h.digest('hex');
}
function srcFiles(...names: string[]): Buffer[] {
  return names.map((n) => readFileSync(join(LAB_SRC, n)));
}

function ensureSecrets(): void {
  const p = paths();
  for (const d of [p.dir, p.run, p.logs, p.hosts]) mkdirSync(d, { recursive: true });
  mkdirSync(p.secrets, { recursive: true, mode: 0o700 });
  chmodSync(p.secrets, 0o700);
  mkdirSync(dirname(p.keyFile), { recursive: true, mode: 0o700 });
  if (!existsSync(p.keyFile)) run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ucw-lab', '-f', p.keyFile]);
  if (!existsSync(p.ucwarePassword)) writeFileSync(p.ucwarePassword, randomBytes(12).toString('base64url') + '\n', { mode: 0o600 });
  if (!existsSync(p.apiCredentials)) {
    writeFileSync(
      p.apiCredentials,
      JSON.stringify(
        {
          user: 'supervisor',
          password: randomBytes(12).toString('base64url'),
          token: randomBytes(24).toString('hex'),
        },
        null,
        2,
      ) + '\n',
      { mode: 0o600 },
    );
  }
  mkdirSync(p.ca, { recursive: true, mode: 0o700 });
  if (!existsSync(p.caFile)) {
    run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(p.ca, 'ca.key'),
      '-out',
      p.caFile,
      '-days',
      '3650',
      '-subj',
      '/CN=ucw-lab test CA',
    ]);
    chmodSync(join(p.ca, 'ca.key'), 0o600);
  }
}

function ensureRepo(): string {
  const p = paths();
  const hash = sha256(srcFiles('build-repo.sh'));
  if (readText(p.repoHash) !== hash || !existsSync(p.repo)) {
    log('building the UCware stand-in apt repository');
    runLogged(join(LAB_SRC, 'build-repo.sh'), [p.repo], join(p.logs, 'build-repo.log'));
    writeFileSync(p.repoHash, hash + '\n');
  }
  // the suites' real OS updates (ensureUpdates) are served next to the UCware stand-in: $repoUrl/../debian/SUITE
  if (!existsSync(join(p.repo, 'debian'))) symlinkSync('../updates', join(p.repo, 'debian'));
  return hash;
}

/** the Debian security mirror next to the main one (or $DEBIAN_SECURITY_MIRROR) */
export function securityMirror(): string {
  return process.env.DEBIAN_SECURITY_MIRROR || debianMirror().replace(/\/debian\/?$/, '/debian-security');
}

/** the suite's real updates for the lab repo, built from what the mirror has newer than the image (lab/build-updates.sh) */
async function ensureUpdates(suite: Suite, imageHash: string): Promise<void> {
  const p = paths();
  const out = join(p.dir, 'updates', suite);
  const hash = sha256([imageHash, ...srcFiles('build-updates.sh')]);
  if (readText(out + '.sha256') === hash && existsSync(out)) return;
  const t = Date.now();
  const logFile = join(p.logs, `build-updates-${suite}.log`);
  log(`collecting ${suite}'s real updates from the mirror (log ${logFile})`);
  mkdirSync(join(p.dir, 'updates'), { recursive: true });
  runLogged(
    join(LAB_SRC, 'build-updates.sh'),
    [p.image(suite), out, suite, debianMirror(), securityMirror(), join(cacheDir(), `debs-${suite}`)],
    logFile,
  );
  writeFileSync(out + '.sha256', hash + '\n');
  log(`${suite} updates: ${readFileSync(logFile, 'utf8').trim().split('\n').at(-1)} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
}

/** debootstrap trees are shared by every instance; content-addressed, so differing recipes never share one */
export const cacheDir = () => process.env.LAB_CACHE || '/var/lib/ucw-lab-cache';

async function ensureBase(suite: Suite): Promise<{ hash: string; dir: string }> {
  const mirror = debianMirror();
  const hash = sha256([...srcFiles('build-base.sh'), mirror, suite]);
  const dir = join(cacheDir(), `debootstrap-${suite}-${hash.slice(0, 16)}`);
  if (existsSync(dir)) return { hash, dir };
  mkdirSync(cacheDir(), { recursive: true });
  const logFile = join(paths().logs, `build-base-${suite}.log`);
  await withPidLock(
    join(cacheDir(), `debootstrap-${suite}.lock`),
    {
      timeoutMs: 15 * 60_000,
      busy: (holder) => new LabError(`another lab (pid ${holder}) has been building ${dir} for 15 minutes`),
      onWait: (holder) => log(`waiting for another lab (pid ${holder}) to finish debootstrap into ${dir}`),
    },
    () => {
      if (existsSync(dir)) return; // built by the lab we waited for
      const t = Date.now();
      log(`debootstrap ${suite} from ${mirror} into ${dir} (about a minute; log ${logFile})`);
      runLogged(join(LAB_SRC, 'build-base.sh'), [dir, mirror, suite], logFile); // writes DIR.new, then renames
      log(`debootstrap done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    },
  );
  return { hash, dir };
}

function imageRecipeHash(suite: Suite, baseHash: string, repoHash: string): string {
  const p = paths();
  const imageFiles = readdirSync(join(LAB_SRC, 'image')).sort();
  return sha256([
    suite,
    baseHash,
    repoHash,
    JSON.stringify(netEnv(NET)),
    ...srcFiles('build-image.sh'),
    ...imageFiles.flatMap((f) => [f, readFileSync(join(LAB_SRC, 'image', f))]),
    readFileSync(p.keyFile + '.pub'),
    readFileSync(p.ucwarePassword),
  ]);
}

/** builds (or reuses) key, secrets, CA, repo, debootstrap and the suite's image; returns true if the image was (re)built */
export async function ensureImage(suite: Suite = DEFAULT_SUITE): Promise<boolean> {
  const p = paths();
  ensureSecrets();
  const repoHash = ensureRepo();
  const base = await ensureBase(suite);
  const hash = imageRecipeHash(suite, base.hash, repoHash);
  const image = p.image(suite);
  if (readText(p.imageHash(suite)) === hash && existsSync(image)) {
    await ensureUpdates(suite, hash);
    return false;
  }
  const onIt = (list: number[]) => list.filter((i) => suiteOf(i) === suite);
  if (onIt(runningHosts()).length) {
    throw new LabError(
      `the lab's ${suite} image recipe changed while hosts run on it: run \`npm run lab -- reset\` first (it deletes per-host state)`,
    );
  }
  if (onIt(existingHosts()).length) {
    log(`${suite} image recipe changed: deleting per-host state built on the old image`);
    for (const i of onIt(existingHosts())) rmSync(hostDir(i), { recursive: true, force: true });
  }
  // the layout before suites: one image/ for bookworm
  if (!runningHosts().length) rmSync(join(p.dir, 'image'), { recursive: true, force: true });
  mkdirSync(p.images, { recursive: true });
  const t = Date.now();
  const logFile = join(p.logs, `build-image-${suite}.log`);
  log(`building the ${suite} image (log ${logFile})`);
  runLogged(join(LAB_SRC, 'build-image.sh'), [base.dir, image, p.repo, p.keyFile + '.pub', p.ucwarePassword, suite], logFile);
  writeFileSync(p.imageHash(suite), hash + '\n');
  log(`${suite} image built in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  await ensureUpdates(suite, hash);
  return true;
}

/** the suite a host was created with (hosts from before suites are bookworm) */
export function suiteOf(i: number): Suite {
  return parseSuite(readText(join(hostDir(i), 'suite'))) ?? 'bookworm';
}

// ---------- network and repo server ----------
function netUp(): void {
  // safety net first: nothing for the lab's /16 ever follows the default route out of this machine
  run('ip', ['route', 'replace', 'unreachable', LAB_NET, 'metric', '4000']);
  if (!tryRun('ip', ['link', 'show', BRIDGE])) {
    run('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
    run('ip', ['addr', 'add', `${CONTROLLER}/24`, 'dev', BRIDGE]);
  }
  run('ip', ['link', 'set', BRIDGE, 'up']);
}
function netDown(): void {
  if (tryRun('ip', ['link', 'show', BRIDGE])) run('ip', ['link', 'del', BRIDGE], { quiet: true });
  while (tryRun('ip', ['route', 'del', 'unreachable', LAB_NET, 'metric', '4000']));
}

async function repoServerUp(): Promise<void> {
  const p = paths();
  if (pidAlive(pidFromFile(p.repoPid))) return;
  const out = join(p.logs, 'repo-server.log');
  const child = spawn(
    'bash',
    [
      '-c',
      `exec setsid "$0" "$@" >> "${out}" 2>&1 < /dev/null`,
      process.execPath,
      '--import',
      import.meta.resolve('tsx'),
      join(LAB_SRC, 'repo-server.ts'),
      p.repo,
      CONTROLLER,
      String(REPO_PORT),
    ],
    { detached: true, stdio: 'ignore' },
  );
  child.unref();
  writeFileSync(p.repoPid, `${child.pid}\n`);
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`http://${CONTROLLER}:${REPO_PORT}/ubuntu/ucware-4.5/dists/bionic/Release`);
      if (r.ok) return;
    } catch {
      /* not yet */
    }
    await sleep(50);
  }
  throw new LabError(`the repo server did not start; see ${out}`);
}
function repoServerDown(): void {
  const p = paths();
  const pid = pidFromFile(p.repoPid);
  if (pid && pidAlive(pid))
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  rmSync(p.repoPid, { force: true });
}

// ---------- hosts ----------
/** indices of hosts that have a state dir */
export function existingHosts(): number[] {
  const h = paths().hosts;
  if (!existsSync(h)) return [];
  return readdirSync(h)
    .map((n) => /^lab(\d+)$/.exec(n)?.[1])
    .filter((x): x is string => !!x)
    .map(Number)
    .filter((i) => existsSync(join(hostDir(i), 'created')))
    .sort((a, b) => a - b);
}
/** indices of hosts whose supervisor is running */
export function runningHosts(): number[] {
  return existingHosts().filter((i) => pidAlive(pidFromFile(join(hostDir(i), 'supervisor.pid'))));
}

/** what host.sh and the supervisor need to start the API stand-in: outside (lab-init) or as a unit inside (systemd) */
function apiEnv(): void {
  process.env.LAB_API_CMD = apiCommand();
  process.env.LAB_API_NODE = process.execPath;
  process.env.LAB_API_SRC = dirname(LAB_SRC);
  process.env.LAB_API_CREDENTIALS = paths().apiCredentials;
}
function apiCommand(): string {
  const tsx = import.meta.resolve('tsx');
  return [process.execPath, '--max-old-space-size=64', '--import', tsx, join(LAB_SRC, 'ucware-api-standin.ts')].join(' ');
}

async function hostUp(i: number, light: boolean, suite: Suite): Promise<void> {
  await runAsync(
    'bash',
    [join(LAB_SRC, 'host.sh'), 'up', String(i), suite, light ? 'light' : ''].filter((a) => a !== ''),
  );
}
export function isReady(i: number): boolean {
  const d = hostDir(i);
  const ready = readText(join(d, 'status', 'ready'));
  return !!ready && ready === readText(join(d, 'boot_id'));
}
async function waitReady(hosts: number[], timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let waiting = hosts;
  while (waiting.length) {
    waiting = waiting.filter((i) => !isReady(i));
    if (!waiting.length) return;
    if (Date.now() > deadline)
      throw new LabError(
        `hosts not ready after ${timeoutMs / 1000} s: ${waiting.map(hostName).join(', ')} (see $LAB_DIR/hosts/labN/supervisor.log and root/var/log/lab-init.log)`,
      );
    await sleep(50);
  }
}

function writeKnownHosts(): void {
  const p = paths();
  const lines = existingHosts().map((i) => {
    const key = readText(join(hostDir(i), 'ssh_host_ed25519_key.pub'))!
      .split(' ')
      .slice(0, 2)
      .join(' ');
    return `${hostAddress(i)},${hostName(i)} ${key}`;
  });
  writeFileSync(p.knownHosts + '.new', lines.join('\n') + '\n');
  renameSync(p.knownHosts + '.new', p.knownHosts);
}

export function labState(): LabState {
  const p = paths();
  const hosts: LabHost[] = runningHosts().map((i) => {
    const d = hostDir(i);
    const pw = join(p.secrets, `mysql-root-password-${hostName(i)}`);
    const h: LabHost = {
      name: hostName(i),
      address: hostAddress(i),
      netns: hostNetns(i),
      veth: hostVeth(i),
      light: existsSync(join(d, 'light')),
      index: i,
      dir: d,
      suite: suiteOf(i),
      init: hostInit(i),
      url: `https://${hostAddress(i)}`,
    };
    if (!h.light && existsSync(pw)) h.mysqlRootPasswordFile = pw;
    return h;
  });
  return {
    dir: p.dir,
    instance: NET.instance,
    bridge: BRIDGE,
    network: LAB_NET,
    hosts,
    keyFile: p.keyFile,
    knownHostsFile: p.knownHosts,
    caFile: p.caFile,
    repoUrl: `http://${CONTROLLER}:${REPO_PORT}/ubuntu`,
    debianUrl: debianUrl(),
    ucwarePasswordFile: p.ucwarePassword,
    apiCredentialsFile: p.apiCredentials,
    users: { root: 'root', admin: 'ucware' },
    controllerAddress: CONTROLLER,
    updatedAt: new Date().toISOString(),
  };
}
function writeLabJson(): void {
  const p = paths();
  writeFileSync(p.labJson + '.new', JSON.stringify(labState(), null, 2) + '\n');
  renameSync(p.labJson + '.new', p.labJson);
}

export interface UpOptions {
  hosts?: number;
  light?: boolean;
  /** the Debian release of hosts created now (default LAB_SUITE, else bookworm); existing hosts keep theirs */
  suite?: Suite;
}

/** brings the lab up with at least `hosts` hosts (default: the running count, or 3); idempotent */
export async function up(opts: UpOptions = {}): Promise<LabState> {
  checkPrereqs();
  return withLock(() => upLocked(opts));
}
async function upLocked(opts: UpOptions): Promise<LabState> {
  raiseInotifyInstances();
  const t0 = Date.now();
  const running = runningHosts();
  const want = Math.max(opts.hosts ?? (running.length || DEFAULT_HOSTS), running.length ? Math.max(...running) : 0);
  if (want > 240) throw new LabError(`at most 240 hosts fit in ${NET.prefix}.0.11-250`);
  const asked = opts.suite ?? parseSuite(process.env.LAB_SUITE);
  const suite = asked ?? DEFAULT_SUITE;
  const made = (i: number) => existsSync(join(hostDir(i), 'created'));
  const hostSuite = (i: number) => (made(i) ? suiteOf(i) : suite);
  const keep = Array.from({ length: want }, (_, k) => k + 1).filter((i) => made(i) && suiteOf(i) !== suite);
  if (asked && keep.length)
    log(
      `${keep.map(hostName).join(', ')} keep their suite (${[...new Set(keep.map(suiteOf))].join(', ')}); --suite ${asked} applies to new hosts`,
    );
  const suites = () => new Set(Array.from({ length: want }, (_, k) => hostSuite(k + 1)));
  for (const su of suites()) await ensureImage(su);
  // a rebuilt image deletes the hosts made on the old one: those are new now, on the asked suite
  for (const su of suites()) await ensureImage(su);
  if (process.env.LAB_INIT !== 'lab-init' && !cgroup2Mount()) {
    log(
      'this machine mounts no cgroup2 file system (neither /sys/fs/cgroup nor /sys/fs/cgroup/unified): systemd cannot boot in a lab host, new hosts boot lab-init',
    );
  }
  const light = opts.light ?? /^(1|true|yes|on)$/i.test(process.env.LAB_LIGHT ?? '');
  netUp();
  await repoServerUp();
  const wanted = Array.from({ length: want }, (_, k) => k + 1);
  apiEnv();
  const todo = wanted.filter(
    (i) =>
      !running.includes(i) ||
      existsSync(join(hostDir(i), 'control', 'no-return')) ||
      existsSync(join(hostDir(i), 'control', 'powered-off')),
  );
  await pool(todo, 8, (i) => hostUp(i, made(i) ? existsSync(join(hostDir(i), 'light')) : light, hostSuite(i)));
  writeKnownHosts();
  await waitReady(wanted);
  writeLabJson();
  if (todo.length) log(`${wanted.length} hosts up (${todo.length} started) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return labState();
}

async function stopHosts(hosts: number[]): Promise<void> {
  for (const i of hosts)
    spawnSync('bash', [join(LAB_SRC, 'host.sh'), 'stop', String(i)], {
      stdio: 'ignore',
      env: { ...process.env, ...netEnv(NET), LAB_DIR: labDir() },
    });
  await pool(hosts, 16, (i) => runAsync('bash', [join(LAB_SRC, 'host.sh'), 'down', String(i)]));
}

/** the lab's leftovers in the kernel: namespaces, mounts, processes (for `down` and the tests) */
export function leftovers(): { netns: string[]; mounts: string[]; processes: string[]; links: string[] } {
  const d = labDir();
  const netns = run('ip', ['netns', 'list'], { quiet: true })
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(NET.nsPrefix));
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m) => m && m.startsWith(d + '/'));
  const links = run('ip', ['-o', 'link', 'show'], { quiet: true })
    .split('\n')
    .map((l) => l.split(': ')[1]?.split('@')[0])
    .filter((n): n is string => !!n && (n === BRIDGE || new RegExp(`^${NET.vethPrefix}\\d+$`).test(n)));
  const processes: string[] = [];
  for (const pid of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (!cmd || /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))) continue;
      const root = readlinkSafe(`/proc/${pid}/root`);
      // another instance's supervisor, repo server and API stand-ins run the same scripts: only ours name our LAB_DIR
      const ours = cmd.includes(d + '/') && /supervisor\.sh|repo-server\.ts|ucware-api-standin/.test(cmd);
      if ((root && root.startsWith(d + '/')) || ours) {
        processes.push(`${pid} ${cmd}`);
      }
    } catch {
      /* gone */
    }
  }
  return { netns, mounts, processes, links };
}
function readlinkSafe(p: string): string | undefined {
  try {
    return readlinkSync(p);
  } catch {
    return undefined;
  }
}

/** stops every host, the repo server and the network; removes lab.json; idempotent */
export async function down(): Promise<void> {
  requireRoot();
  return withLock(downLocked);
}
async function downLocked(): Promise<void> {
  const p = paths();
  rmSync(p.labJson, { force: true });
  await stopHosts(
    existingHosts().filter((i) => existsSync(join(hostDir(i), 'supervisor.pid')) || tryRun('ip', ['netns', 'pids', hostNetns(i)])),
  );
  // sweep anything left over (hosts whose state dir is gone, crashed runs)
  const left = leftovers();
  for (const ns of left.netns) {
    for (const pid of run('ip', ['netns', 'pids', ns], { quiet: true }).split(/\s+/).filter(Boolean))
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone */
      }
    run('ip', ['netns', 'del', ns], { quiet: true });
  }
  for (const m of left.mounts.sort().reverse()) run('umount', ['-l', m], { quiet: true });
  for (const l of left.links) if (l !== BRIDGE) run('ip', ['link', 'del', l], { quiet: true });
  repoServerDown();
  for (const pr of leftovers().processes)
    try {
      process.kill(Number(pr.split(' ')[0]), 'SIGKILL');
    } catch {
      /* gone */
    }
  netDown();
}

/** without names: `down`, then delete all per-host state. With names: recreate just those hosts fresh (lab stays up). */
export async function reset(names: string[] = []): Promise<void> {
  requireRoot();
  return withLock(() => resetLocked(names));
}
async function resetLocked(names: string[]): Promise<void> {
  if (!names.length) {
    await down();
    for (const i of existingHosts()) rmSync(hostDir(i), { recursive: true, force: true });
    rmSync(paths().hosts, { recursive: true, force: true });
    for (const f of existsSync(paths().secrets) ? readdirSync(paths().secrets) : [])
      if (f.startsWith('mysql-root-password-')) rmSync(join(paths().secrets, f));
    return;
  }
  const idx = names.map(parseHost);
  const wasRunning = idx.filter((i) => runningHosts().includes(i));
  const light = new Set(idx.filter((i) => existsSync(join(hostDir(i), 'light'))));
  const suites = new Map(idx.map((i) => [i, suiteOf(i)]));
  await stopHosts(idx);
  for (const i of idx) {
    rmSync(hostDir(i), { recursive: true, force: true });
    rmSync(join(paths().secrets, `mysql-root-password-${hostName(i)}`), { force: true });
  }
  if (existsSync(paths().labJson)) {
    apiEnv();
    await pool(wasRunning, 8, (i) => hostUp(i, light.has(i), suites.get(i)!));
    writeKnownHosts();
    await waitReady(wasRunning);
    writeLabJson();
  }
}

export function parseHost(name: string): number {
  const m = /^(?:lab)?(\d+)$/.exec(name);
  if (!m) throw new LabError(`not a lab host: ${name} (expected lab1, lab2, ...)`);
  return Number(m[1]);
}

export const SETTINGS: Record<string, string> = {
  'reboot-delay': 'seconds the host stays down during a reboot (default 2)',
  'shutdown-delay': 'seconds sshd keeps answering (old boot id) after a reboot was issued (default 0)',
  'no-return': 'on|off: a host that goes down stays down until `up` or `set HOST no-return off`',
  'silent-when-down':
    'on|off: while down (reboot gap, no-return, poweroff) the host drops packets, so connects time out instead of being refused',
  'api-crash-after': 'N|off: the API stand-in exits after N more successful write calls (restarts after api-restart-delay)',
  'api-restart-delay': 'seconds before the crashed API stand-in is restarted (default 1)',
  'postinst-delay': "seconds ucware-core's postinst sleeps, to make an upgrade's dpkg step last (default off)",
  'preinst-delay': "seconds ucware-core's preinst sleeps, so the unpack phase lasts too (default off)",
  'os-updates': "on|off: the host's apt also sees its suite's real Debian updates from the lab repo (default off)",
  'fail-unit': 'UNIT|off: systemd hosts: UNIT (e.g. nginx) fails at its next start, and every start after, until off',
};

export function set(name: string, key: string, value: string): void {
  const i = parseHost(name);
  if (!(key in SETTINGS)) throw new LabError(`unknown setting ${key}; known: ${Object.keys(SETTINGS).join(', ')}`);
  const d = join(hostDir(i), 'control');
  if (!existsSync(hostDir(i))) throw new LabError(`${hostName(i)} does not exist`);
  mkdirSync(d, { recursive: true });
  const file = join(d, key);
  if (key === 'os-updates') {
    osUpdates(i, value);
    return;
  }
  if (key === 'fail-unit') {
    failUnit(i, value);
    return;
  }
  if (key === 'no-return' || key === 'silent-when-down') {
    if (/^(on|1|true|yes)$/i.test(value)) writeFileSync(file, '1\n');
    else if (/^(off|0|false|no)$/i.test(value)) rmSync(file, { force: true });
    else throw new LabError(`${key} takes on|off`);
    return;
  }
  if (/^(off|none|default)$/i.test(value)) {
    rmSync(file, { force: true });
    return;
  }
  if (!/^\d+(\.\d+)?$/.test(value))
    throw new LabError(`${key} takes a number of ${key === 'api-crash-after' ? 'calls' : 'seconds'} (or off)`);
  writeFileSync(file, value + '\n');
}

/**
 * Adds or removes the source of the suite's real updates in the host's apt (written from here into
 * its root): one-line format up to bookworm, deb822 on trixie, like each release's installer.
 */
function osUpdates(i: number, value: string): void {
  const on = /^(on|1|true|yes)$/i.test(value);
  if (!on && !/^(off|0|false|no)$/i.test(value)) throw new LabError('os-updates takes on|off');
  const suite = suiteOf(i);
  const dir = join(hostDir(i), 'root', 'etc', 'apt', 'sources.list.d');
  if (!existsSync(dir)) throw new LabError(`${hostName(i)} is not running (no ${dir})`);
  const url = `${debianUrl()}/${suite}`;
  const files = { list: join(dir, 'debian-updates.list'), sources: join(dir, 'debian-updates.sources') };
  for (const f of Object.values(files)) rmSync(f, { force: true });
  if (!on) return;
  if (suite === 'trixie') {
    writeFileSync(files.sources, `Types: deb\nURIs: ${url}\nSuites: ${suite}-updates\nComponents: main\nTrusted: yes\n`);
  } else {
    writeFileSync(files.list, `deb [trusted=yes] ${url} ${suite}-updates main\n`);
  }
}
/** a persistent drop-in that makes a unit's start fail (a server broken by an update), or none */
function failUnit(i: number, value: string): void {
  const sys = join(hostDir(i), 'root', 'etc', 'systemd', 'system');
  if (!existsSync(sys)) throw new LabError(`${hostName(i)} is not running (no ${sys})`);
  for (const d of readdirSync(sys).filter((x) => x.endsWith('.service.d'))) rmSync(join(sys, d, 'lab-fail-unit.conf'), { force: true });
  if (/^(off|none)$/i.test(value)) return;
  if (!/^[\w@.-]+$/.test(value)) throw new LabError(`fail-unit takes a unit name or off, got ${value}`);
  const unit = value.endsWith('.service') ? value : `${value}.service`;
  mkdirSync(join(sys, `${unit}.d`), { recursive: true });
  writeFileSync(
    join(sys, `${unit}.d`, 'lab-fail-unit.conf'),
    `# npm run lab -- set ${hostName(i)} fail-unit ${value}: this server fails to start, as after a broken update\n[Service]\nExecStartPre=/bin/sh -c 'echo "${unit}: broken by the lab (fail-unit)" >&2; exit 1'\n`,
  );
}
/** base URL of the suites' real updates in the lab repo: `${debianUrl}/SUITE` has dists/SUITE-updates/main */
export const debianUrl = () => `http://${CONTROLLER}:${REPO_PORT}/debian`;

export interface HostStatus {
  name: string;
  address: string;
  light: boolean;
  phase: string;
  ucware: string;
  bootId: string;
  suite: Suite;
  /** the init the host boots: systemd, or the fallback lab-init */
  init: 'systemd' | 'lab-init';
  /** the running PID 1's name (from /proc), '-' when the host is down */
  pid1: string;
  /** `systemctl is-system-running` inside the host (systemd hosts), '-' otherwise */
  system: string;
}
/** PID 1's name and `systemctl is-system-running`, asked from outside through the host's namespaces */
function initState(i: number): { pid1: string; system: string } {
  const pid = pidFromFile(join(hostDir(i), 'init.pid'));
  if (!pid || !pidAlive(pid)) return { pid1: '-', system: '-' };
  const pid1 = readText(`/proc/${pid}/comm`) ?? '-';
  if (pid1 !== 'systemd') return { pid1, system: '-' };
  const r = spawnSync('nsenter', ['-t', String(pid), '-m', '-u', '-i', '-n', '-p', '-r', '-w', 'systemctl', 'is-system-running'], {
    encoding: 'utf8',
    timeout: 5000,
  });
  return { pid1, system: (r.stdout || '').trim() || `? (exit ${r.status})` };
}
/**
 * Every systemd in a lab host takes inotify instances from root's shared budget (default 128): a
 * few labs on one machine exhaust it and path units fail (`degraded`). Raised once, never lowered.
 */
function raiseInotifyInstances(want = 1024): void {
  const f = '/proc/sys/fs/inotify/max_user_instances';
  try {
    if (Number(readFileSync(f, 'utf8')) < want) writeFileSync(f, String(want));
  } catch (e) {
    log(`could not raise ${f} to ${want}: ${(e as Error).message}`);
  }
}

/** where the machine mounts cgroup2 (systemd in a host needs a subtree of it), if anywhere */
export function cgroup2Mount(): string | undefined {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' '));
  return ['/sys/fs/cgroup', '/sys/fs/cgroup/unified'].find((m) => mounts.some((x) => x[1] === m && x[2] === 'cgroup2'));
}
export function hostInit(i: number): 'systemd' | 'lab-init' {
  return readText(join(hostDir(i), 'init')) === 'systemd' ? 'systemd' : 'lab-init';
}
export function status(): HostStatus[] {
  return existingHosts().map((i) => {
    const d = hostDir(i);
    const running = pidAlive(pidFromFile(join(d, 'supervisor.pid')));
    let phase = running ? (isReady(i) ? 'up' : (readText(join(d, 'phase')) ?? '?')) : 'stopped';
    if (phase === 'up' && existsSync(join(d, 'control', 'no-return'))) phase = 'up (no-return)';
    // read dpkg's status file directly: from the mounted root, else the overlay upper, else the image
    const status = [join(d, 'root'), join(d, 'upper'), paths().image(suiteOf(i))]
      .map((r) => join(r, 'var', 'lib', 'dpkg', 'status'))
      .find((f) => existsSync(f));
    let ucware = '?';
    if (status) {
      const stanza =
        readFileSync(status, 'utf8')
          .split('\n\n')
          .find((x) => /^Package: ucware-core$/m.test(x)) ?? '';
      const v = /^Version: (.+)$/m.exec(stanza)?.[1];
      const st = /^Status: (.+)$/m.exec(stanza)?.[1];
      if (v) ucware = st === 'install ok installed' ? v : `${v} (${st})`;
    }
    return {
      name: hostName(i),
      address: hostAddress(i),
      light: existsSync(join(d, 'light')),
      suite: suiteOf(i),
      phase,
      ucware,
      bootId: readText(join(d, 'boot_id')) ?? '-',
      init: hostInit(i),
      ...initState(i),
    };
  });
}

export function sizes(): { image: string; perHost: Record<string, string> } {
  const du = (p: string) => spawnSync('du', ['-sxh', p], { encoding: 'utf8' }).stdout.split('\t')[0] ?? '?';
  const perHost: Record<string, string> = {};
  for (const i of existingHosts()) perHost[hostName(i)] = du(join(hostDir(i), 'upper'));
  return { image: existsSync(paths().images) ? du(paths().images) : '-', perHost };
}
