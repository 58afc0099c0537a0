// The running lab as seen by tests, inventories and benchmarks: $LAB_DIR/lab.json, written by `npm run lab -- up`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultLabDir } from './instance.ts';

export interface LabHost {
  /** host name inside the lab and in the inventory: lab1..labN */
  name: string;
  /** IPv4 address on the lab bridge: 10.250.0.(10+i) for instance 0, 10.(250-N).0.(10+i) for LAB_INSTANCE=N */
  address: string;
  /** the host's network namespace (`ip netns exec NETNS …`) */
  netns: string;
  /** the controller-side end of the host's veth (set it down to cut the host's link) */
  veth: string;
  /** light hosts run sshd + nginx only (no MariaDB, no API stand-in) */
  light: boolean;
  /** 1-based index (labN) */
  index: number;
  /** the host's state dir: $LAB_DIR/hosts/labN (overlay upper, boot_id, control/, logs, API state) */
  dir: string;
  /** the Debian release the host runs: bullseye, bookworm or trixie */
  suite: string;
  /** PID 1: systemd, or the fallback lab-init (systemctl a shim over /etc/init.d, reboot simulated) */
  init: 'systemd' | 'lab-init';
  /** HTTPS base URL of the host's web server (admin page under /admin/, API under /api/2/) */
  url: string;
  /** MariaDB root password, only for a host that starts with root on password auth (lab2) */
  mysqlRootPasswordFile?: string;
}

export interface LabState {
  /** $LAB_DIR (default /var/lib/ucw-lab, or /var/lib/ucw-lab-N for LAB_INSTANCE=N) */
  dir: string;
  /** LAB_INSTANCE of this lab (0 = the default lab) */
  instance: number;
  /** the lab's bridge on the controller (ucwlab0 for instance 0) */
  bridge: string;
  /** the lab's /16 (10.250.0.0/16 for instance 0); the controller routes it to `unreachable` */
  network: string;
  hosts: LabHost[];
  /** private key that logs in as root and as ucware on every host */
  keyFile: string;
  /** known_hosts with every host's own ed25519 key, by address and by name */
  knownHostsFile: string;
  /** lab CA certificate: every host's HTTPS certificate (IP + DNS SAN) is signed by it */
  caFile: string;
  /** base URL of the lab apt repository: `${repoUrl}/ucware-4.5`, `/ucware-5`, `/ucware-firmware` (dists bionic, component main) */
  repoUrl: string;
  /** the suites' real Debian updates: `${debianUrl}/SUITE SUITE-updates main`, added to a host by `lab set HOST os-updates on` */
  debianUrl: string;
  /** the ucware user's password (login and sudo), same on every host */
  ucwarePasswordFile: string;
  /** JSON {user, password, token} accepted by every host's API stand-in (Basic and Bearer) */
  apiCredentialsFile: string;
  /** SSH user names available on every host */
  users: { root: string; admin: string };
  /** bridge address of the controller as seen from the hosts */
  controllerAddress: string;
  /** ISO time of the last `up` */
  updatedAt: string;
}

export function labDir(): string {
  return process.env.LAB_DIR || defaultLabDir();
}

/** Reads $LAB_DIR/lab.json; throws a clear Error when the lab is not up. */
export function readLab(): LabState {
  const file = join(labDir(), 'lab.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`the lab is not up (no ${file}): run \`npm run lab -- up\``);
  }
  return JSON.parse(text) as LabState;
}

export interface ApiCredentials {
  user: string;
  password: string;
  token: string;
}

export function readApiCredentials(lab: LabState = readLab()): ApiCredentials {
  return JSON.parse(readFileSync(lab.apiCredentialsFile, 'utf8')) as ApiCredentials;
}
