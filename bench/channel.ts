/**
 * Per-task cost of the two command channel strategies on loopback (not a test: it prints figures).
 *   node --import tsx bench/channel.ts [tasks]
 * Starts a throwaway sshd on 127.0.0.95, logs in as root (login shell bash, with whatever
 * ~/.bashrc root has) and as a throwaway user whose login shell is /bin/sh without rc files,
 * and runs `true` N times each way (exec channels; the persistent channel served by the perl task
 * agent and by the sh loop), one after the other, on an already open connection; then as root
 * through sudo with a password (per command, or one root shell).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { makeClientKey, startSshd, portBase } from '../tests/support/sshd.ts';
import { SshConnection } from '../runner/connection/ssh.ts';
import { execAsRoot } from '../runner/connection/sudo.ts';
import { rmSync, writeFileSync } from 'node:fs';

const N = Number(process.argv[2] ?? 200);
const key = makeClientKey();
const port = portBase() + 9;
const user = `ucwbench${process.pid % 10000}`;
spawnSync('userdel', ['-r', user], { stdio: 'ignore' });
execFileSync('useradd', ['-m', '-s', '/bin/sh', user]);
const password = `Bench-${Math.random().toString(36).slice(2)}`;
execFileSync('chpasswd', { input: `${user}:${password}\n` });
const sudoers = `/etc/sudoers.d/ucw-bench-${process.pid}`;
writeFileSync(sudoers, `${user} ALL=(ALL) ALL\nDefaults:${user} !lecture\n`, { mode: 0o440 });
const s = await startSshd({ name: 'bench', address: '127.0.0.95', port, client: key });
try {
  for (const login of ['root', user]) {
    for (const variant of ['exec', 'agent', 'sh-loop'] as const) {
      const channel = variant === 'exec' ? 'exec' : 'persistent';
      const c = new SshConnection({
        host: `bench-${variant}`,
        address: s.address,
        port,
        user: login,
        identityFiles: [key.key],
        agent: false,
        hostKeyChecking: 'off',
        knownHostsFiles: [join(key.dir, 'known_hosts')],
        channel,
        become: { password },
        taskRunner: variant === 'sh-loop' ? 'sh' : 'agent',
      });
      await c.exec('true'); // connect (and open the shell) outside the measurement
      const n = channel === 'exec' && login === 'root' ? Math.min(N, 40) : N;
      let bad = 0;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) {
        const r = await c.exec('true');
        if (r.exitCode !== 0) bad++;
      }
      const ms = Number(process.hrtime.bigint() - t0) / 1e6 / n;
      const shell = login === 'root' ? 'bash + ~/.bashrc' : '/bin/sh, no rc';
      console.log(
        `${variant.padEnd(10)} login ${login.padEnd(14)} (${shell.padEnd(16)}) ${ms.toFixed(2).padStart(7)} ms/task  (${n} × true${bad ? `, ${bad} without exit 0` : ''})`,
      );
      if (login !== 'root') {
        await execAsRoot(c, 'true');
        const m = channel === 'exec' ? Math.min(N, 40) : N;
        const t1 = process.hrtime.bigint();
        for (let i = 0; i < m; i++) await execAsRoot(c, 'true');
        const bms = Number(process.hrtime.bigint() - t1) / 1e6 / m;
        console.log(`${variant.padEnd(10)} become (sudo with password)              ${bms.toFixed(2).padStart(7)} ms/task  (${m} × true)`);
      }
      await c.close();
    }
  }
} finally {
  await s.stop();
  rmSync(sudoers, { force: true });
  spawnSync('userdel', ['-r', user], { stdio: 'ignore' });
}
process.exit(0);
