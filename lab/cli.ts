// npm run lab -- <command>: the lab of Debian test hosts (see lab/README.md)
import { spawnSync } from 'node:child_process';
import {
  checkPrereqs,
  deps,
  down,
  ensureImage,
  LabError,
  reset,
  set,
  SETTINGS,
  sizes,
  status,
  up,
  hostAddress,
  parseHost,
  parseSuite,
  SUITES,
} from './lab.ts';
import { labDir, readLab } from './state.ts';
import { labSshArgs } from './sshArgs.ts';

const usage = `usage: npm run lab -- <command>
  deps                      install the Debian packages the lab needs (idempotent)
  build [--suite S]         build/refresh the cached image of a suite, repo, CA and keys (up does this too)
  up [N] [--light] [--suite S]  start hosts lab1..labN (default: 3, or as many as run); adds hosts to a running lab
                            --light (or LAB_LIGHT=1): new hosts without MariaDB and API stand-in
                            --suite (or LAB_SUITE=): Debian release of new hosts, ${SUITES.join('|')} (default bookworm)
                            LAB_INIT=lab-init: new hosts boot the fallback init instead of systemd
  status [--json]           hosts, addresses, phase, UCware version, boot id
  down                      stop everything the lab started (namespaces, mounts, processes); idempotent
  reset [HOST...]           without HOST: down + delete all per-host state; with HOST: recreate those hosts fresh
  set HOST KEY VALUE        per-host control:
${Object.entries(SETTINGS)
  .map(([k, v]) => `      ${k.padEnd(18)} ${v}`)
  .join('\n')}
  ssh HOST [CMD...]         ssh as root with the lab key and known_hosts
state: LAB_DIR=${labDir()}`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  // --suite takes a value (--suite X or --suite=X); other flags are switches
  const suiteAt = rest.findIndex((a) => a === '--suite' || a.startsWith('--suite='));
  const suite = suiteAt < 0 ? undefined : parseSuite(rest[suiteAt].includes('=') ? rest[suiteAt].split('=')[1] : (rest[suiteAt + 1] ?? ''));
  if (suiteAt >= 0) rest.splice(suiteAt, rest[suiteAt].includes('=') ? 1 : 2);
  const flags = new Set(rest.filter((a) => a.startsWith('--')));
  const args = rest.filter((a) => !a.startsWith('--'));
  switch (cmd) {
    case 'deps':
      deps();
      return 0;
    case 'build':
      checkPrereqs();
      console.log((await ensureImage(suite)) ? 'image built' : 'image up to date');
      return 0;
    case 'up': {
      const n = args[0] !== undefined ? Number(args[0]) : undefined;
      if (n !== undefined && !(Number.isInteger(n) && n > 0)) throw new LabError(`up: N must be a positive integer, got ${args[0]}`);
      const lab = await up({ hosts: n, light: flags.has('--light') ? true : undefined, suite });
      console.log(
        `lab up: ${lab.hosts.map((h) => `${h.name}=${h.address}${h.light ? '(light)' : ''}/${h.suite}${h.init === 'lab-init' ? '(lab-init)' : ''}`).join(' ')}`,
      );
      return 0;
    }
    case 'status': {
      const st = status();
      if (flags.has('--json')) {
        console.log(JSON.stringify({ hosts: st, ...(flags.has('--sizes') ? { sizes: sizes() } : {}) }, null, 2));
        return 0;
      }
      if (!st.length) {
        console.log(`no lab hosts in ${labDir()}`);
        return 0;
      }
      const W = [6, 13, 9, 16, 16, 10, 12, 36];
      console.log(
        ['host', 'address', 'suite', 'phase', 'ucware-core', 'pid 1', 'system', 'boot id'].map((h, i) => h.padEnd(W[i])).join(' '),
      );
      const stopped = st.filter((h) => h.phase === 'stopped');
      const shown = stopped.length > 10 ? st.filter((h) => h.phase !== 'stopped') : st;
      for (const h of shown) {
        const pid1 = h.init === 'lab-init' ? `${h.pid1}†` : h.pid1;
        console.log(
          [h.name + (h.light ? '*' : ''), h.address, h.suite, h.phase, h.ucware, pid1, h.system, h.bootId]
            .map((v, i) => v.padEnd(W[i]))
            .join(' '),
        );
      }
      if (shown.length < st.length)
        console.log(`stopped (state kept): ${stopped.length} hosts, ${stopped[0].name}..${stopped[stopped.length - 1].name}`);
      if (shown.some((h) => h.light)) console.log('* light host (no MariaDB, no API stand-in)');
      if (shown.some((h) => h.init === 'lab-init'))
        console.log('† fallback init (lab-init: systemctl is a shim over /etc/init.d, reboot is simulated)');
      return 0;
    }
    case 'down':
      await down();
      console.log('lab down');
      return 0;
    case 'reset':
      await reset(args);
      console.log(args.length ? `reset ${args.join(' ')}` : 'lab reset (per-host state deleted)');
      return 0;
    case 'set': {
      const [host, key, value] = args;
      if (!host || !key || value === undefined) throw new LabError(`usage: set HOST KEY VALUE\n${usage}`);
      set(host, key, value);
      return 0;
    }
    case 'ssh': {
      const [host, ...command] = args;
      if (!host) throw new LabError('usage: ssh HOST [CMD...]');
      const lab = readLab();
      const r = spawnSync('ssh', [...labSshArgs(lab, `root@${hostAddress(parseHost(host))}`), ...command], { stdio: 'inherit' });
      return r.status ?? 1;
    }
    case undefined:
    case 'help':
    case '-h':
    case '--help':
      console.log(usage);
      return cmd ? 0 : 2;
    default:
      console.error(`unknown command ${cmd}\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof LabError ? `lab: ${e.message}` : e);
    process.exit(1);
  },
);
