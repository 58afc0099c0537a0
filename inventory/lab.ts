/**
 * The local lab (`npm run lab -- up`): real Debian hosts in network namespaces, read from
 * the running lab at load time, so `run upgrade inventory/lab.ts` just works.
 * Host keys are verified strictly against the lab's own known_hosts.
 */
import { readFileSync } from 'node:fs';
import { defineInventory, type HostSpec } from '../runner/index.ts';
import { readLab } from '../lab/state.ts';
import '../playbooks/ucware-vars.ts';

const lab = readLab();
const DEBIAN_VERSION: Record<string, string> = { bullseye: '11', bookworm: '12', trixie: '13' };
// The lab's API token lives in a file of the lab; production inventories name an env var only.
process.env.UCW_LAB_API_TOKEN ??= (JSON.parse(readFileSync(lab.apiCredentialsFile, 'utf8')) as { token: string }).token;
// As in the vendor's procedure: log in as ucware, sudo with ucware's password (LAB_USER=root to skip sudo).
process.env.UCW_LAB_SUDO_PASS ??= readFileSync(lab.ucwarePasswordFile, 'utf8').trim();
const hosts: Record<string, HostSpec> = {};
for (const h of lab.hosts) {
  hosts[h.name] = {
    address: h.address,
    tags: ['lab', h.light ? 'light' : 'full'],
    groups: h.light ? ['light'] : ['ucware'],
    // each lab host runs its own Debian release (npm run lab -- up --suite …)
    vars: { expectRelease: [DEBIAN_VERSION[h.suite] ?? '12'] },
  };
}

export default defineInventory({
  defaults: {
    user: process.env.LAB_USER ?? 'ucware',
    becomePasswordEnv: 'UCW_LAB_SUDO_PASS',
    identityFile: lab.keyFile,
    knownHostsFile: lab.knownHostsFile,
    hostKeyChecking: 'strict',
    connectTimeoutSec: 5,
    vars: {
      adminCaFile: lab.caFile,
      // The lab's stand-in admin page prints the installed version.
      adminExpect: 'id="ucware-version">5\\.',
      snapshot: { provider: 'none', waiver: 'lab hosts are namespaces, not VMs' },
      ucwareApi: { basePath: '/api/2', tokenEnv: 'UCW_LAB_API_TOKEN', caFile: lab.caFile },
      // The desired v5 state for the stand-in API's seed data (people created several times under 4.5).
      ucware5: {
        merges: [
          {
            keep: 'mmueller',
            remove: ['mmueller2', 'mueller-fax'],
            slots: [
              { deviceType: 'mac', name: 'Yealink T46 Müller', numbers: ['201', '202'] },
              { deviceType: 'mobile', name: 'Handy Müller', numbers: ['202'] },
            ],
          },
          { keep: 'aschmidt', remove: ['aschmidt-fax'] },
        ],
        faxGroups: [{ name: 'fax-vertrieb', title: 'Fax Vertrieb', numbers: ['291', '292'], userGroups: ['vertrieb'] }],
      },
      minFreeMb: { root: 100, var: 100 },
      // The lab is Debian 11/12/13 in namespaces, standing in for Ubuntu 18.04 servers (per host above).
      expectRelease: ['12'],
      compatibilityConfirmed: true,
      licenceFile: 'inventory/lab-files/licence-standin.lic',
    },
  },
  groups: { ucware: {}, light: {} },
  hosts,
});
