/**
 * Real OpenSSH servers on loopback for the runner's tests: each "host" is its own sshd on its
 * own 127.0.0.x address, with its own host key, logging in as the controller's user by key.
 */
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SshConnection, type SshOptions } from '../../runner/connection/ssh.ts';
import { setTimeout as sleep } from 'node:timers/promises';

export interface TestSshd {
  name: string;
  address: string;
  port: number;
  dir: string;
  hostKey: string;
  stop(): Promise<void>;
  /** Regenerate the host key, of `type`, and restart (a "reinstalled" host, or an impostor). */
  rekey(type?: 'ed25519' | 'rsa' | 'ecdsa'): Promise<void>;
  /** The listening sshd's pid (undefined while stopped). */
  pid(): number | undefined;
  /** Pids of everything under the listener (per-connection sshd processes and their commands), for cutting links. */
  sessionPids(): number[];
}

export interface ClientKey {
  dir: string;
  key: string;
  publicKey: string;
}

/** One exit hook for all servers (one per server would trip Node's listener-leak warning). */
const liveServers = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of liveServers) c.kill('SIGKILL');
});

let sshdBin: string | undefined;
function sshd(): string {
  if (sshdBin) return sshdBin;
  for (const p of ['/usr/sbin/sshd', '/usr/bin/sshd']) if (existsSync(p)) return (sshdBin = p);
  throw new Error('sshd not found: install openssh-server (apt-get install openssh-server)');
}

export function makeClientKey(): ClientKey {
  const dir = mkdtempSync(join(tmpdir(), 'ucw-ssh-client-'));
  const key = join(dir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ucw-test', '-f', key]);
  return { dir, key, publicKey: readFileSync(key + '.pub', 'utf8') };
}

export interface SshdOptions {
  name: string;
  address: string;
  port: number;
  client: ClientKey;
  extraConfig?: string[];
  /** Allow password logins (for users created by the test). @default false */
  passwordAuth?: boolean;
}

export async function startSshd(o: SshdOptions): Promise<TestSshd> {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), `ucw-sshd-${o.name}-`));
  const hostKey = join(dir, 'host_ed25519');
  const genKey = (type = 'ed25519') => execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', hostKey]);
  genKey();
  writeFileSync(join(dir, 'authorized_keys'), o.client.publicKey, { mode: 0o644 });
  // sshd reads AuthorizedKeysFile as the logging-in user: non-root test users must reach it.
  execFileSync('chmod', ['0755', dir]);
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${o.port}`,
      `ListenAddress ${o.address}`,
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'PermitRootLogin yes',
      'UsePAM no',
      `PasswordAuthentication ${o.passwordAuth ? 'yes' : 'no'}`,
      'KbdInteractiveAuthentication no',
      'MaxSessions 100',
      'MaxStartups 200',
      'LogLevel ERROR',
      ...(o.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(sshd(), ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    // A crashed test must not leave servers behind that a later run would talk to.
    const c = child;
    liveServers.add(c);
    c.once('exit', () => liveServers.delete(c));
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) throw new Error(`sshd ${o.name} exited: ${err}`);
      if (await canConnect(o.address, o.port)) return;
      await sleep(50);
    }
    throw new Error(`sshd ${o.name} did not listen on ${o.address}:${o.port}: ${err}`);
  };
  const stop = async () => {
    if (!child || child.exitCode !== null) return;
    const done = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await done;
  };
  await start();
  return {
    name: o.name,
    address: o.address,
    port: o.port,
    dir,
    hostKey,
    stop,
    pid: () => (child && child.exitCode === null ? child.pid : undefined),
    sessionPids: () => {
      const p = child?.pid;
      if (!p || child!.exitCode !== null) return [];
      return descendants(p);
    },
    rekey: async (type) => {
      await stop();
      execFileSync('rm', ['-f', hostKey, hostKey + '.pub']);
      genKey(type);
      await start();
    },
  };
}

export function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A port base that differs per process, so parallel test runs do not collide. */
export const portBase = () => 20000 + (process.pid % 2000) * 10;

/** A process's parent pid from /proc, or undefined when it is gone. */
export function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Every live descendant of `root`, read from one pass over /proc. */
export function descendants(root: number): number[] {
  const kids = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const pp = parentOf(Number(e));
    if (pp !== undefined) kids.set(pp, [...(kids.get(pp) ?? []), Number(e)]);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const k of kids.get(p) ?? []) {
      out.push(k);
      walk(k);
    }
  };
  walk(root);
  return out.filter((x) => x > 1 && x !== process.pid);
}

/** True while `pid` still descends from `root` (guards a signal against a reused pid). */
export function stillUnder(pid: number, root: number): boolean {
  for (let p: number | undefined = pid, i = 0; p !== undefined && p > 1 && i < 64; p = parentOf(p), i++) if (p === root) return true;
  return false;
}

/**
 * Writes a YAML inventory for loopback test servers: root by the test key, a test known_hosts,
 * and one line per host (`name: { address: …, port: …, … }` as written by the caller).
 */
export function writeLoopbackInventory(
  file: string,
  o: { key: ClientKey; knownHosts: string; hosts: string[]; vars?: Record<string, string | number> },
): string {
  const vars = { connectTimeoutSec: 3, ...o.vars };
  writeFileSync(
    file,
    [
      'all:',
      '  vars:',
      '    user: root',
      `    identityFile: ${o.key.key}`,
      `    knownHostsFile: ${o.knownHosts}`,
      '    hostKeyChecking: accept-new',
      ...Object.entries(vars).map(([k, v]) => `    ${k}: ${v}`),
      '  hosts:',
      ...o.hosts.map((h) => `    ${h}`),
      '',
    ].join('\n'),
  );
  return file;
}

/**
 * A connection to a test sshd with the tests' usual settings (the client key, no agent, host
 * keys accepted into `knownHosts`, 3 s to connect); `o` sets the rest or overrides them.
 */
export function loopbackConnection(
  key: ClientKey,
  knownHosts: string,
  o: Partial<SshOptions> & Pick<SshOptions, 'host' | 'address' | 'port'>,
): SshConnection {
  return new SshConnection({
    user: 'root',
    identityFiles: [key.key],
    agent: false,
    hostKeyChecking: 'accept-new',
    knownHostsFiles: [knownHosts],
    connectTimeoutMs: 3000,
    ...o,
  });
}
