/**
 * Benchmark inventory: the lab hosts named in BENCH_HOSTS (comma-separated, e.g. "lab4,lab5"),
 * root with the lab key and strict host keys — the same settings as inventory/lab.ts.
 */
import { defineInventory, type HostSpec } from '../runner/index.ts';
import { readLab } from '../lab/state.ts';

const lab = readLab();
const want = new Set((process.env.BENCH_HOSTS ?? '').split(',').filter(Boolean));
const hosts: Record<string, HostSpec> = {};
for (const h of lab.hosts) if (want.has(h.name)) hosts[h.name] = { address: h.address };
const missing = [...want].filter((n) => !(n in hosts));
if (missing.length) throw new Error(`bench inventory: not running: ${missing.join(', ')}`);

export default defineInventory({
  defaults: {
    user: 'root',
    identityFile: lab.keyFile,
    knownHostsFile: lab.knownHostsFile,
    hostKeyChecking: 'strict',
    connectTimeoutSec: 10,
  },
  hosts,
});
