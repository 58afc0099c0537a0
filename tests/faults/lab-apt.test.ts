// Faults of aptUpgrade on real lab hosts (UCware 4.5.0.9 → 4.5.0.10), recorded for
// tests/faults/RESULTS.md:
//  - /var full: a tiny tmpfs mounted inside the host's mount namespace over
//    /var/cache/apt/archives (the download fails) on lab1, and over /var/lib/dpkg (the packages
//    unpack, then dpkg cannot write its status: they are left unpacked, not configured) on lab2;
//    after freeing the space a second run repairs and finishes;
//  - the controller's link to lab3 cut (its veth down) while dpkg runs ucware-core's postinst
//    (slowed with `lab set lab3 postinst-delay`): dpkg finishes on the host while the link is
//    down, and the runner reattaches and reports the real result.
// Every host used is recreated (`lab reset`) afterwards.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureLab, sleep, sshOk } from '../../lab/testkit.ts';
import { reset, set } from '../../lab/lab.ts';
import { labDir, type LabState } from '../../lab/state.ts';
import { inventoryFor, root, run, type Ran } from '../fixtures/modules/labRun.ts';
import { aptUpgrade } from '../../modules/index.ts';
import { record, writeResults } from './results.ts';

const HOSTS = ['lab1', 'lab2', 'lab3'];
let lab: LabState;

// the host's init pid as seen from here (lab/host-boot.sh writes it)
const initPid = (name: string) => readFileSync(join(labDir(), 'hosts', name, 'init.pid'), 'utf8').trim();

/** runs a shell script inside the host's mount namespace and root (nsenter), as root */
function inHost(name: string, script: string): string {
  const r = spawnSync('nsenter', ['-t', initPid(name), '-m', '-r', '-w', '--', 'sh', '-ec', script], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`nsenter ${name}: exit ${r.status}\n${r.stderr}${r.stdout}\n${script}`);
  return r.stdout.trim();
}

/** the command lines of the host's processes (read from here, so it works while the link is down) */
function hostProcesses(name: string): string[] {
  const pids = spawnSync('ip', ['netns', 'pids', host(name).netns], { encoding: 'utf8' })
    .stdout.split(/\s+/)
    .filter(Boolean);
  return pids.flatMap((p) => {
    try {
      return [readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()];
    } catch {
      return [];
    }
  });
}

async function until<T>(what: string, f: () => T | undefined | false, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

const host = (name: string) => lab.hosts.find((h) => h.name === name)!;
const versions = (name: string) =>
  sshOk(lab, host(name), "dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\\n' ucware ucware-core")
    .replace(/ +\n/g, '\n')
    .trim();
const audit = (name: string) => sshOk(lab, host(name), 'dpkg --audit; true');
const upgrade = () => aptUpgrade({ mode: 'full', update: true }, { name: 'upgrade ucware', timeoutSec: 600 });
const secs = (ms: number) => (ms / 1000).toFixed(1);

let runs = 0;
/** one aptUpgrade run on `name`; its plain output lines also go to `live` as they come */
async function timed(name: string, o: Parameters<typeof run>[3] = {}, live: string[] = []): Promise<Ran & { ms: number }> {
  const t = Date.now();
  const r = await run(lab, name, [upgrade()], { ...o, write: (l) => live.push(l) });
  writeFileSync(join(root, `out-${name}-${runs++}.txt`), live.join('\n') + '\n'); // kept for a look after a failure
  return { ...r, out: live.join('\n'), ms: Date.now() - t };
}

test.before(async () => {
  lab = await ensureLab(3);
  await reset(HOSTS); // fresh 4.5.0.9 hosts whatever ran before
});
test.after(async () => {
  spawnSync('ip', ['link', 'set', host('lab3').veth, 'up']);
  set('lab3', 'postinst-delay', 'off');
  await reset(HOSTS);
  writeResults();
});

test('/var/cache/apt/archives full: the download fails naming the host, the task and "No space left"; nothing half-installed; after freeing the space the next run upgrades', async () => {
  const H = 'lab1';
  // 256 KB tmpfs with apt's lock and partial/ in it, then filled to the last block
  inHost(
    H,
    [
      'mount -t tmpfs -o size=256k,mode=755 ucw-fault-full /var/cache/apt/archives',
      'mkdir -m 700 /var/cache/apt/archives/partial; chown _apt:root /var/cache/apt/archives/partial',
      'touch /var/cache/apt/archives/lock; chmod 640 /var/cache/apt/archives/lock',
      'dd if=/dev/zero of=/var/cache/apt/archives/filler bs=4k 2>/dev/null || true',
    ].join('\n'),
  );
  assert.match(sshOk(lab, host(H), 'df -k --output=avail /var/cache/apt/archives | tail -1').trim(), /^0$/);

  const r1 = await timed(H);
  const err1 = r1.done[0]?.error ?? ''; // the error as the user sees it under the failed task
  const v1 = versions(H);
  const audit1 = audit(H);
  const pass1 =
    r1.exitCode !== 0 &&
    r1.done[0]?.status === 'failed' &&
    /aptUpgrade failed on lab1 \(task "upgrade ucware"\): exit code 100/.test(err1) &&
    /stderr:\n.*No space left on device/s.test(err1) &&
    audit1 === '' &&
    /ucware-core 4\.5\.0\.9 ii/.test(v1);
  record({
    fault: '/var full during the upgrade: /var/cache/apt/archives a 256 KB tmpfs, full (aptUpgrade 4.5.0.9 → 4.5.0.10 on lab1)',
    expected: 'the task fails clearly: host, task, "No space left", stderr tail; nothing half-installed',
    observed: `exit ${r1.exitCode} after ${secs(r1.ms)} s; ${err1.split('\n')[0]}; stderr tail: ${
      err1
        .split('\n')
        .filter((l) => /No space/.test(l))
        .at(-1)
        ?.trim() ?? '(none)'
    }; dpkg --audit ${audit1 ? 'NOT empty' : 'empty'}; ${v1.replace(/\n/g, ', ')}`,
    pass: pass1,
  });

  inHost(H, 'umount /var/cache/apt/archives');
  const r2 = await timed(H);
  const v2 = versions(H);
  const audit2 = audit(H);
  const pass2 =
    r2.exitCode === 0 && r2.done[0]?.status === 'changed' && audit2 === '' && /ucware 4\.5\.0\.10 ii\nucware-core 4\.5\.0\.10 ii/.test(v2);
  record({
    fault: '… after freeing the space (tmpfs unmounted): the next run',
    expected: 'succeeds; dpkg --audit empty; packages at the new version',
    observed: `exit ${r2.exitCode} after ${secs(r2.ms)} s, ${r2.done[0]?.status}: ${r2.done[0]?.reason}; dpkg --audit ${audit2 ? `NOT empty: ${audit2}` : 'empty'}; ${v2.replace(/\n/g, ', ')}`,
    pass: pass2,
  });
  assert.ok(pass1, `first run:\n${r1.out}\n${v1}\n${audit1}`);
  assert.ok(pass2, `second run:\n${r2.out}\n${v2}\n${audit2}`);
});

test('/var/lib/dpkg full: the packages unpack, then dpkg cannot write its status (left iU); the task fails clearly; after enlarging, the next run repairs with dpkg --configure -a and finishes', async () => {
  const H = 'lab2';
  // dpkg's database moved onto a tmpfs with 48 KB to spare: enough to unpack, not to rewrite the status file
  const df = inHost(
    H,
    [
      'rm -rf /tmp/ucw-dpkg; cp -a /var/lib/dpkg /tmp/ucw-dpkg',
      'kb=$(du -sk /tmp/ucw-dpkg | cut -f1)',
      'mount -t tmpfs -o size=$((kb + 48))k,mode=755 ucw-fault-full /var/lib/dpkg',
      'cp -a /tmp/ucw-dpkg/. /var/lib/dpkg/; rm -rf /tmp/ucw-dpkg',
      'echo "$(du -sk /var/lib/dpkg | cut -f1) KB used, $(($(stat -f -c %a*%S /var/lib/dpkg) / 1024)) KB free"',
    ].join('\n'),
  );

  const r1 = await timed(H);
  const err1 = r1.done[0]?.error ?? '';
  const v1 = versions(H);
  const audit1 = audit(H);
  const pass1 =
    r1.exitCode !== 0 &&
    r1.done[0]?.status === 'failed' &&
    /aptUpgrade failed on lab2 \(task "upgrade ucware"\): exit code 100/.test(err1) &&
    /stderr:\n.*dpkg: error: .*No space left on device/s.test(err1);
  record({
    fault: `/var full during the upgrade: /var/lib/dpkg on a tmpfs (${df}) — unpacking works, writing dpkg's status does not (lab2)`,
    expected: 'the task fails clearly: host, task, "No space left", stderr tail',
    observed: `exit ${r1.exitCode} after ${secs(r1.ms)} s; ${err1.split('\n')[0]}; stderr tail: ${err1
      .split('\n')
      .filter((l) => /No space|E: /.test(l))
      .map((l) => l.trim())
      .join(' / ')}; left behind: ${v1.replace(/\n/g, ', ')}${audit1 ? ' (dpkg --audit: unpacked, not configured)' : ''}`,
    pass: pass1,
  });

  inHost(H, 'mount -o remount,size=64m /var/lib/dpkg');
  const r2 = await timed(H);
  const v2 = versions(H);
  const audit2 = audit(H);
  const pass2 =
    r2.exitCode === 0 &&
    r2.done[0]?.status === 'changed' &&
    /^dpkg repaired; /.test(r2.done[0]?.reason ?? '') &&
    audit2 === '' &&
    /ucware 4\.5\.0\.10 ii\nucware-core 4\.5\.0\.10 ii/.test(v2);
  record({
    fault: '… after enlarging the filesystem (remount size=64m): the next run',
    expected: 'repairs the half-done dpkg run and succeeds; dpkg --audit empty; packages at the new version',
    observed: `exit ${r2.exitCode} after ${secs(r2.ms)} s, ${r2.done[0]?.status}: ${r2.done[0]?.reason}; dpkg --audit ${audit2 ? `NOT empty: ${audit2}` : 'empty'}; ${v2.replace(/\n/g, ', ')}`,
    pass: pass2,
  });
  assert.ok(pass1, `first run:\n${r1.out}\n${v1}\n${audit1}`);
  assert.ok(audit1 !== '', `expected dpkg to be left unfinished by the full /var/lib/dpkg:\n${r1.out}\n${v1}`);
  assert.ok(pass2, `second run:\n${r2.out}\n${v2}\n${audit2}`);
});

test('link cut while dpkg configures: dpkg finishes on the host, the runner reattaches and reports the real result', async () => {
  const H = 'lab3';
  const VETH = host(H).veth;
  const DELAY = 8;
  set(H, 'postinst-delay', String(DELAY));
  // a dead link is noticed after 1 s × 2 keepalives; reconnects give up after 2 s each
  const inv = inventoryFor(lab, {}, { connectTimeoutSec: 2, serverAliveIntervalSec: 1, serverAliveCountMax: 2 });
  const live: string[] = [];
  let ended: string | undefined;
  const running = timed(H, { inventory: inv }, live);
  running.then(
    (r) => (ended = `the run ended (exit ${r.exitCode}) before the cut:\n${r.out}`),
    (e: unknown) => (ended = String(e)),
  );
  const check = <T>(v: T) => {
    if (ended) throw new Error(ended);
    return v;
  };
  try {
    await until(
      'ucware-core postinst running on lab3',
      () => check(hostProcesses(H).some((c) => /ucware-core\.postinst configure/.test(c))),
      120_000,
    );
    const tCut = Date.now();
    spawnSync('ip', ['link', 'set', VETH, 'down'], { encoding: 'utf8' });
    // the runner notices (keepalive), tries to reconnect and says so; dpkg keeps going on the host
    await until(
      'the runner to report the lost link',
      () => live.find((l) => /WARNING: link to lab3 lost while following detached command/.test(l)),
      60_000,
    );
    const tLost = Date.now();
    const dpkgWhileCut = hostProcesses(H).some((c) => /\bdpkg\b|apt-get/.test(c));
    // wait until apt has exited on the host (its exit status is written in the run directory), link still down
    const rcFile = await until('apt-get to finish on lab3 while the link is down', () => detachedRc(H), 120_000, 200);
    const rcOnHost = readFileSync(rcFile, 'utf8').trim();
    const tDone = Date.now();
    spawnSync('ip', ['link', 'set', VETH, 'up']);
    const tUp = Date.now();
    const r = await running;
    const v = versions(H);
    const a = audit(H);
    const reattach = /reattached to detached command \S+ after (\d+) s/.exec(r.out);
    const pass =
      r.exitCode === 0 &&
      r.done[0]?.status === 'changed' &&
      !!reattach &&
      rcOnHost === '0' &&
      dpkgWhileCut &&
      a === '' &&
      /ucware 4\.5\.0\.10 ii\nucware-core 4\.5\.0\.10 ii/.test(v);
    record({
      fault: `SSH link to lab3 cut (veth down) while aptUpgrade's dpkg runs ucware-core's postinst (slowed to ${DELAY} s)`,
      expected: 'dpkg finishes on the host; the runner reattaches and reports the real result; dpkg --audit empty, new version',
      observed:
        `runner said the link was lost ${secs(tLost - tCut)} s after the cut; dpkg still running then: ${dpkgWhileCut ? 'yes' : 'no'}; apt-get exited ${rcOnHost} on the host ${secs(tDone - tCut)} s after the cut, link still down; link up after ${secs(tUp - tCut)} s; ` +
        `${reattach ? `runner reattached (after ${reattach[1]} s)` : 'NO reattach line'}, exit ${r.exitCode}, ${r.done[0]?.status}: ${r.done[0]?.reason}; whole run ${secs(r.ms)} s; dpkg --audit ${a ? `NOT empty: ${a}` : 'empty'}; ${v.replace(/\n/g, ', ')}`,
      pass,
    });
    assert.ok(pass, `${r.out}\n${v}\n${a}\nrc on host ${rcOnHost}, dpkg while cut ${dpkgWhileCut}`);
  } finally {
    spawnSync('ip', ['link', 'set', VETH, 'up']);
    set(H, 'postinst-delay', 'off');
    await running.catch(() => undefined);
  }
});

/** the `rc` file of the one detached run directory on the host, once it exists */
function detachedRc(name: string): string | undefined {
  // root's detached base (runner/connection/detached.ts): a folder only root can write
  const base = join(labDir(), 'hosts', name, 'root', 'var', 'lib', 'ucw-runner');
  if (!existsSync(base)) return undefined;
  for (const d of readdirSync(base)) {
    const rc = join(base, d, 'rc');
    if (existsSync(rc) && readFileSync(rc, 'utf8').trim() !== '') return rc;
  }
  return undefined;
}

test.run();
