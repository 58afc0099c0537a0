// The lab VM's cached image ($LAB_DIR/vm/image): built once by build-image.sh, rebuilt when its recipe changes.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { debianMirror, LabError, paths } from '../lab.ts';
import { pidAlive, withPidLock } from '../pidLock.ts';
import { labDir } from '../state.ts';

export const VM_SRC = dirname(fileURLToPath(import.meta.url));

/** Where the VM's artefacts live; everything is under $LAB_DIR, nothing in git. */
export const vmPaths = (d = labDir()) => ({
  dir: join(d, 'vm'),
  image: join(d, 'vm', 'image'),
  imageHash: join(d, 'vm', 'image.sha256'),
  baseImage: join(d, 'vm', 'image', 'base.img'),
  kernel: join(d, 'vm', 'image', 'vmlinuz'),
  initrd: join(d, 'vm', 'image', 'initrd.img'),
  hostKeyPub: join(d, 'vm', 'image', 'ssh_host_ed25519_key.pub'),
  instances: join(d, 'vm', 'run'),
  lock: join(d, 'vm', 'lock'),
  buildLog: join(d, 'logs', 'vm-build-image.log'),
  keyFile: paths(d).keyFile,
});

export interface VmImage {
  /** Raw ext4 root file system: the read-only backing file of every instance's overlay. */
  baseImage: string;
  kernel: string;
  initrd: string;
  /** `ssh-ed25519 AAAA…` of the image's fixed host key. */
  hostKey: string;
  /** Private key authorised for root (the lab key). */
  keyFile: string;
  /** Whether this call built it, and how long that took. */
  built: boolean;
  buildSec: number;
}

const log = (msg: string) => process.stderr.write(`lab vm: ${msg}\n`);
const readText = (f: string) => {
  try {
    return readFileSync(f, 'utf8').trim();
  } catch {
    return undefined;
  }
};

/** The lab key: created here if the lab never ran on this machine (same command as the lab's). */
function ensureKey(keyFile: string): void {
  if (existsSync(keyFile)) return;
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ucw-lab', '-f', keyFile], { encoding: 'utf8' });
  if (r.status !== 0) throw new LabError(`ssh-keygen failed: ${r.stderr}`);
}

function recipeHash(mirror: string, pubKey: string): string {
  const h = createHash('sha256');
  for (const f of ['build-image.sh', 'sshd-vm.conf', 'ucw-vm-booted.service']) h.update(readFileSync(join(VM_SRC, f))).update('\0');
  return h.update(mirror).update('\0').update(pubKey).digest('hex');
}

/** Runs `fn` holding $LAB_DIR/vm/lock: one build or instance change at a time across processes. */
export function withVmLock<T>(fn: () => Promise<T> | T): Promise<T> {
  const file = vmPaths().lock;
  return withPidLock(
    file,
    { timeoutMs: 15 * 60_000, busy: (holder) => new LabError(`another lab vm command (pid ${holder}) holds ${file}`) },
    fn,
  );
}

/** Pids of qemu processes of instances that are still running (their pid files under vm/run/). */
export function runningQemuPids(): number[] {
  const dir = vmPaths().instances;
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((n) => Number(readText(join(dir, n, 'qemu.pid'))))
    .filter((p) => pidAlive(p));
}

/** Builds the image unless the cached one matches its recipe (script, configs, mirror, lab key). */
export async function ensureVmImage(): Promise<VmImage> {
  return withVmLock(() => ensureVmImageLocked());
}
export function ensureVmImageLocked(): VmImage {
  const p = vmPaths();
  ensureKey(p.keyFile);
  const mirror = debianMirror();
  const hash = recipeHash(mirror, readFileSync(p.keyFile + '.pub', 'utf8'));
  let built = false;
  let buildSec = 0;
  if (readText(p.imageHash) !== hash || !existsSync(p.baseImage)) {
    if (runningQemuPids().length)
      throw new LabError(`the VM image recipe changed while VMs run (qemu pids ${runningQemuPids().join(', ')}): stop them first`);
    log(`building the VM image (about 100 s; log ${p.buildLog})`);
    const t = Date.now();
    mkdirSync(dirname(p.buildLog), { recursive: true });
    rmSync(p.imageHash, { force: true });
    const r = spawnSync(
      'bash',
      ['-c', `"$0" "$@" > "${p.buildLog}" 2>&1 < /dev/null`, join(VM_SRC, 'build-image.sh'), p.image, mirror, p.keyFile + '.pub'],
      { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } },
    );
    if (r.status !== 0) {
      const tail = (readText(p.buildLog) ?? '').split('\n').slice(-30).join('\n');
      throw new LabError(`lab/vm/build-image.sh failed (exit ${r.status}); log ${p.buildLog}:\n${tail}`);
    }
    writeFileSync(p.imageHash, hash + '\n');
    built = true;
    buildSec = (Date.now() - t) / 1000;
    log(`VM image built in ${buildSec.toFixed(1)} s`);
  }
  const hostKey = readText(p.hostKeyPub)!.split(' ').slice(0, 2).join(' ');
  return { baseImage: p.baseImage, kernel: p.kernel, initrd: p.initrd, hostKey, keyFile: p.keyFile, built, buildSec };
}
