// Which lab this process talks to: LAB_INSTANCE=N lets several labs share one machine, each with
// its own bridge, subnet, netns/veth names, state dir and repo port. Instance 0 keeps the names
// the lab always had (ucwlab0, 10.250.0.0/16, /var/lib/ucw-lab, :8080).

/** the highest instance: 10.(250-N) must stay inside 10.200..10.250 */
export const MAX_INSTANCE = 50;

export interface LabNet {
  instance: number;
  bridge: string;
  /** first two octets of the lab subnet, e.g. '10.250' */
  prefix: string;
  /** the /16 that gets the unreachable safety route */
  net: string;
  controller: string;
  repoPort: number;
  /** netns name prefix: host labI lives in `${nsPrefix}labI` */
  nsPrefix: string;
  /** veth name prefix on the controller side: `${vethPrefix}I` (IFNAMSIZ: at most 15 characters) */
  vethPrefix: string;
}

export function labInstance(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.LAB_INSTANCE ?? '';
  if (raw === '') return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > MAX_INSTANCE) {
    throw new Error(`LAB_INSTANCE must be an integer 0..${MAX_INSTANCE}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

export function labNet(n: number = labInstance()): LabNet {
  const prefix = `10.${250 - n}`;
  return {
    instance: n,
    bridge: `ucwlab${n}`,
    prefix,
    net: `${prefix}.0.0/16`,
    controller: `${prefix}.0.1`,
    repoPort: 8080 + n,
    // instance 0: ucwlab-lab7 / ucwl7 as before; others: ucwlab3-lab7 / ucw3l7 (longest ucw50l240, 9 chars)
    nsPrefix: n === 0 ? 'ucwlab-' : `ucwlab${n}-`,
    vethPrefix: n === 0 ? 'ucwl' : `ucw${n}l`,
  };
}

/** the default state dir of an instance */
export function defaultLabDir(n: number = labInstance()): string {
  return n === 0 ? '/var/lib/ucw-lab' : `/var/lib/ucw-lab-${n}`;
}

/** environment for the lab's shell scripts (host.sh, supervisor.sh, build-image.sh) */
export function netEnv(net: LabNet = labNet()): Record<string, string> {
  return {
    LAB_INSTANCE: String(net.instance),
    LAB_BRIDGE: net.bridge,
    LAB_PREFIX: net.prefix,
    LAB_NS_PREFIX: net.nsPrefix,
    LAB_VETH_PREFIX: net.vethPrefix,
    LAB_REPO_PORT: String(net.repoPort),
  };
}
