/**
 * A real Debian VM under qemu (TCG: software emulation, KVM is not usable on the dev machine),
 * for what the namespace hosts can't show: a real kernel and systemd rebooting.
 * Each start boots a fresh copy-on-write overlay of the cached image ($LAB_DIR/vm/run/NAME/),
 * with SSH forwarded from 127.0.0.1:PORT (user networking, restrict=on: the guest can't reach out)
 * and the serial console in serial.log.
 *
 * @example
 * const vm = await startVm({ name: 'faults' })
 * await vmSsh(vm, 'cat /proc/sys/kernel/random/boot_id')
 * await stopVm(vm)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LabError } from '../lab.ts';
import { pidAlive } from '../pidLock.ts';
import { ensureVmImage, vmPaths, type VmImage } from './image.ts';

export interface VmOptions {
  /** Instance name: its state dir is $LAB_DIR/vm/run/NAME. @default 'vm' */
  name?: string;
  /** Host port forwarded to the guest's sshd (on 127.0.0.1). @default a free port */
  port?: number;
  /** Until the boot marker shows on the serial console and SSH answers. @default 240 */
  bootTimeoutSec?: number;
  /** @default 1024 */
  memoryMb?: number;
  /** @default 2 */
  cpus?: number;
}

export interface Vm {
  name: string;
  /** $LAB_DIR/vm/run/NAME: overlay.qcow2, serial.log, qemu.log, qemu.pid, known_hosts */
  dir: string;
  address: '127.0.0.1';
  port: number;
  user: 'root';
  /** The lab key, authorised for root. */
  keyFile: string;
  /** `[127.0.0.1]:PORT ssh-ed25519 …`: the image's fixed host key, for strict checking. */
  knownHostsFile: string;
  serialLog: string;
  pid: number;
  /** Boot id of the first boot (from the serial marker). */
  bootId: string;
  /** Seconds from starting qemu until the marker and SSH. */
  bootSec: number;
  image: VmImage;
}

const MARKER = /UCW-VM-BOOTED ([0-9a-f-]{36})/g;
const readText = (f: string) => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
};

/** Every boot id the guest announced on its serial console, in order (one per boot). */
export function bootMarkers(vm: Pick<Vm, 'serialLog'>): string[] {
  return [...readText(vm.serialLog).matchAll(MARKER)].map((m) => m[1]!);
}

/** Boots a fresh instance (an old one of the same name is killed and its overlay replaced). */
export async function startVm(o: VmOptions = {}): Promise<Vm> {
  const image = await ensureVmImage();
  const name = o.name ?? 'vm';
  if (!/^[\w.-]+$/.test(name)) throw new LabError(`lab vm: bad instance name ${JSON.stringify(name)}`);
  const dir = join(vmPaths().instances, name);
  await killInstance(dir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const port = o.port ?? (await freePort());
  const vm: Vm = {
    name,
    dir,
    address: '127.0.0.1',
    port,
    user: 'root',
    keyFile: image.keyFile,
    knownHostsFile: join(dir, 'known_hosts'),
    serialLog: join(dir, 'serial.log'),
    pid: 0,
    bootId: '',
    bootSec: 0,
    image,
  };
  writeFileSync(vm.knownHostsFile, `[127.0.0.1]:${port} ${image.hostKey}\n`);
  const overlay = join(dir, 'overlay.qcow2');
  run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', image.baseImage, overlay]);

  const t0 = Date.now();
  // -daemonize: qemu returns once it runs, so a bad option or a busy port fails here, with its message
  run('qemu-system-x86_64', [
    '-name',
    `ucw-vm-${name}`,
    '-accel',
    'tcg',
    '-m',
    String(o.memoryMb ?? 1024),
    '-smp',
    String(o.cpus ?? 2),
    '-display',
    'none',
    '-monitor',
    'none',
    '-serial',
    `file:${vm.serialLog}`,
    '-kernel',
    image.kernel,
    '-initrd',
    image.initrd,
    '-append',
    'root=/dev/vda rw console=ttyS0 net.ifnames=0',
    '-drive',
    `file=${overlay},format=qcow2,if=virtio`,
    '-nic',
    `user,model=virtio-net-pci,restrict=on,hostfwd=tcp:127.0.0.1:${port}-:22`,
    '-daemonize',
    '-pidfile',
    join(dir, 'qemu.pid'),
    '-D',
    join(dir, 'qemu.log'),
  ]);
  vm.pid = Number(readText(join(dir, 'qemu.pid')).trim());

  const timeoutMs = (o.bootTimeoutSec ?? 240) * 1000;
  try {
    vm.bootId = await waitForBoot(vm, 1, t0 + timeoutMs);
    for (;;) {
      const r = vmSsh(vm, 'true', { timeoutSec: 20 });
      if (r.status === 0) break;
      if (Date.now() > t0 + timeoutMs) throw new LabError(`lab vm ${name}: booted, but SSH on port ${port} fails: ${r.stderr.trim()}`);
      await sleep(500);
    }
  } catch (e) {
    await killInstance(dir);
    throw e;
  }
  vm.bootSec = (Date.now() - t0) / 1000;
  return vm;
}

/** Waits until the serial console shows boot marker number `n` (1 = first boot); returns its boot id. */
export async function waitForBoot(vm: Pick<Vm, 'name' | 'serialLog' | 'pid'>, n: number, deadline: number): Promise<string> {
  for (;;) {
    const ids = bootMarkers(vm);
    if (ids.length >= n) return ids[n - 1]!;
    if (!pidAlive(vm.pid)) throw new LabError(`lab vm ${vm.name}: qemu exited during boot; serial console:\n${tail(vm.serialLog)}`);
    if (Date.now() > deadline)
      throw new LabError(`lab vm ${vm.name}: no boot marker on the serial console in time; its tail:\n${tail(vm.serialLog)}`);
    await sleep(200);
  }
}

export interface StopResult {
  /** `poweroff`: the guest shut down cleanly; `killed`: it didn't within the timeout (or SSH failed). */
  how: 'poweroff' | 'killed' | 'not running';
  sec: number;
}

/** Powers the guest off over SSH and waits for qemu to exit; kills it after `timeoutSec`. Deletes the overlay. */
export async function stopVm(vm: Vm, o: { timeoutSec?: number } = {}): Promise<StopResult> {
  const t0 = Date.now();
  let how: StopResult['how'] = 'not running';
  if (pidAlive(vm.pid)) {
    vmSsh(vm, 'systemctl poweroff', { timeoutSec: 10 });
    const deadline = t0 + (o.timeoutSec ?? 60) * 1000;
    while (pidAlive(vm.pid) && Date.now() < deadline) await sleep(200);
    how = pidAlive(vm.pid) ? 'killed' : 'poweroff';
    await killInstance(vm.dir);
  }
  rmSync(join(vm.dir, 'overlay.qcow2'), { force: true });
  return { how, sec: (Date.now() - t0) / 1000 };
}

/** Runs a command as root in the guest with the system ssh client, strict host key checking. */
export function vmSsh(vm: Pick<Vm, 'port' | 'keyFile' | 'knownHostsFile'>, command: string, o: { timeoutSec?: number } = {}) {
  const r = spawnSync('ssh', [...sshArgs(vm), command], {
    encoding: 'utf8',
    timeout: (o.timeoutSec ?? 30) * 1000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr || (r.error ? r.error.message : '') };
}

/** ssh's arguments up to the command (also for an interactive `ssh` from the CLI). */
export function sshArgs(vm: Pick<Vm, 'port' | 'keyFile' | 'knownHostsFile'>): string[] {
  return [
    '-i',
    vm.keyFile,
    '-p',
    String(vm.port),
    '-o',
    `UserKnownHostsFile=${vm.knownHostsFile}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=10',
    '-o',
    'LogLevel=ERROR',
    'root@127.0.0.1',
  ];
}

/** The instance NAME as recorded on disk (for the CLI: stop/ssh a VM started by another process). */
export function readVm(name = 'vm'): Vm | undefined {
  const dir = join(vmPaths().instances, name);
  const kh = readText(join(dir, 'known_hosts'));
  const port = Number(/^\[127\.0\.0\.1\]:(\d+) /.exec(kh)?.[1]);
  if (!port) return undefined;
  const serialLog = join(dir, 'serial.log');
  const p = vmPaths();
  return {
    name,
    dir,
    address: '127.0.0.1',
    port,
    user: 'root',
    keyFile: p.keyFile,
    knownHostsFile: join(dir, 'known_hosts'),
    serialLog,
    pid: Number(readText(join(dir, 'qemu.pid')).trim()),
    bootId: bootMarkers({ serialLog })[0] ?? '',
    bootSec: 0,
    image: {
      baseImage: p.baseImage,
      kernel: p.kernel,
      initrd: p.initrd,
      hostKey: kh.split(' ').slice(1, 3).join(' '),
      keyFile: p.keyFile,
      built: false,
      buildSec: 0,
    },
  };
}

async function killInstance(dir: string): Promise<void> {
  const pid = Number(readText(join(dir, 'qemu.pid')).trim());
  if (!pidAlive(pid) || !isQemu(pid)) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50 && pidAlive(pid); i++) await sleep(100);
  if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
}
// a stale pid file must not make us signal an unrelated process that reused the pid
function isQemu(pid: number): boolean {
  return readText(`/proc/${pid}/cmdline`).startsWith('qemu-system-x86_64');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  if (r.error)
    throw new LabError(
      `${cmd}: ${r.error.message}${(r.error as NodeJS.ErrnoException).code === 'ENOENT' ? ' (install qemu-system-x86 qemu-utils: npm run setup)' : ''}`,
    );
  if (r.status !== 0) throw new LabError(`${cmd} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
}

function tail(file: string, lines = 25): string {
  return existsSync(file) ? readText(file).trimEnd().split('\n').slice(-lines).join('\n') : '(no serial log)';
}
