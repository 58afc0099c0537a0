/**
 * An example fleet: UCware servers at three sites, each with its snapshot provider and its
 * v5 licence file. Secrets are never written here: they are read from the environment
 * (UCW_SUDO_PASS, PVE_TOKEN_*, VSPHERE_PASSWORD, UCW_API_TOKEN_*) when a run needs them.
 *
 *   run upgrade inventory/prod.ts --limit tag:berlin --check
 */
import { defineInventory } from '../runner/index.ts';
import '../playbooks/ucware-vars.ts';

const proxmox = (node: string, vmid: number) => ({
  provider: 'proxmox' as const,
  url: 'https://pve.berlin.example.net:8006',
  node,
  vmid,
  tokenId: 'ucw-runner@pve!upgrade',
  tokenSecretEnv: 'PVE_TOKEN_BERLIN',
  pinSha256: '4F:3A:91:0C:5E:27:B8:D1:66:02:AF:93:1E:7C:48:D5:0B:29:F6:71:8A:C3:5D:E0:94:17:62:BB:08:CD:3F:A1',
});
const vmware = (vm: string) => ({
  provider: 'vmware' as const,
  vm,
  env: { GOVC_URL: 'https://vcenter.hamburg.example.net/sdk', GOVC_USERNAME: 'svc-ucw@vsphere.local', GOVC_DATACENTER: 'HH' },
  passwordEnv: 'VSPHERE_PASSWORD',
});

export default defineInventory({
  // One canary, then two, then half of the rest at a time; any failure stops the rollout.
  rollout: { serial: [1, 2, '50%'], maxFailPercentage: 0 },
  defaults: {
    // The vendor's procedure: log in as ucware, sudo with that user's password.
    user: 'ucware',
    becomePasswordEnv: 'UCW_SUDO_PASS',
    hostKeyChecking: 'strict',
    knownHostsFile: ['~/.ssh/known_hosts', 'inventory/known_hosts'],
    vars: {
      minFreeMb: { root: 2048, var: 4096 },
      compatibilityConfirmed: false,
      ucwareApi: { basePath: '/api/2', tokenEnv: 'UCW_API_TOKEN' },
    },
  },
  groups: {
    berlin: { vars: { adminCaFile: 'inventory/ca/berlin-ca.pem' } },
    hamburg: { vars: { adminCaFile: 'inventory/ca/hamburg-ca.pem' } },
    muenchen: {},
    pbx: {},
  },
  hosts: {
    'pbx-ber-1': {
      address: '10.20.1.10',
      tags: ['berlin', 'vm', 'primary'],
      groups: ['berlin', 'pbx'],
      vars: {
        snapshot: proxmox('pve1', 101),
        licenceFile: 'licences/pbx-ber-1.lic',
        compatibilityConfirmed: true,
        devices: ['Yealink T46', 'Yealink W60 DECT'],
      },
    },
    'pbx-ber-2': {
      address: '10.20.1.11',
      tags: ['berlin', 'vm'],
      groups: ['berlin', 'pbx'],
      vars: { snapshot: proxmox('pve2', 102), licenceFile: 'licences/pbx-ber-2.lic', devices: ['Yealink T54', 'Gigaset N870 DECT'] },
    },
    'pbx-ham-1': {
      address: '10.30.5.20',
      tags: ['hamburg', 'vm'],
      groups: ['hamburg', 'pbx'],
      vars: { snapshot: vmware('/HH/vm/pbx-ham-1'), licenceFile: 'licences/pbx-ham-1.lic', devices: ['Snom D785'] },
    },
    'pbx-muc-1': {
      address: '10.40.0.5',
      port: 2222,
      tags: ['muenchen', 'metal'],
      groups: ['muenchen', 'pbx'],
      vars: {
        snapshot: { provider: 'none', waiver: 'bare metal: full backup on the NAS before the window instead' },
        licenceFile: 'licences/pbx-muc-1.lic',
        adminPinSha256: '9B:21:0E:47:AC:D3:58:6F:11:E2:70:CB:94:3D:08:A5:6C:F1:2B:8E:D0:47:93:5A:E6:1C:72:B9:04:3F:58:AD',
        devices: ['Aastra 6757i'],
      },
    },
  },
});
