// snapshot: the provider's list decides. No Proxmox or vSphere exists here (a stand-in only,
// tests/support/proxmox-standin.ts), so the listed snapshots are written out; the waiver comes
// from the host vars through the module's own facts().
import { snapshot } from '../../../modules/snapshot.ts';
import { ProxmoxProvider } from '../../../modules/snapshot/proxmox.ts';
import { cases } from '../../support/planCases.ts';

process.env.UCW_CASES_PVE_TOKEN ??= 'not-a-real-token';
const pve = new ProxmoxProvider(
  {
    provider: 'proxmox',
    url: 'https://pve1.example.net:8006',
    node: 'pve1',
    vmid: 101,
    tokenId: 'ucw@pve!runner',
    tokenSecretEnv: 'UCW_CASES_PVE_TOKEN',
  },
  'lab1',
);
const existing = [{ name: 'before-ucware-5', description: 'taken by ucw-runner', time: 1796100000 }];
const LABEL = 'proxmox pve1/qemu/101';

export default cases(snapshot, [
  {
    name: 'waived for this host',
    params: { name: 'before-ucware-5' },
    replay: [],
    host: { vars: { snapshot: { provider: 'none', waiver: 'bare metal, backup only' } } },
    expect: { noop: 'snapshots waived for this host: bare metal, backup only' },
  },
  {
    name: 'not there yet: take it',
    params: { name: 'before-ubuntu' },
    facts: { provider: pve, existing },
    expect: {
      reason: `take snapshot before-ubuntu on ${LABEL}`,
      steps: [],
      result: { provider: LABEL, rollbackCommand: /^qm rollback 101 before-ubuntu/ },
    },
  },
  {
    name: 'already there',
    params: { name: 'before-ucware-5' },
    facts: { provider: pve, existing },
    expect: { noop: `snapshot before-ucware-5 exists on ${LABEL}` },
  },
  {
    name: 'delete one that is there',
    params: { name: 'before-ucware-5', present: false },
    facts: { provider: pve, existing },
    expect: { reason: `delete snapshot before-ucware-5 on ${LABEL}`, steps: [] },
  },
  {
    name: 'roll back to one that is there',
    params: { name: 'before-ucware-5', rollback: true },
    facts: { provider: pve, existing },
    expect: { reason: `roll ${LABEL} back to before-ucware-5`, steps: [] },
  },
  {
    name: 'roll back to one that is not: an error naming what is there',
    params: { name: 'before-ubuntu', rollback: true },
    facts: { provider: pve, existing },
    expect: { throws: `no snapshot "before-ubuntu" on ${LABEL} (have: before-ucware-5)` },
  },
  {
    name: 'no provider configured for the host',
    params: { name: 'x1' },
    replay: [],
    expect: { throws: /lab1: no snapshot provider configured/ },
  },
  { name: 'a bad name is refused', params: { name: '1-bad name' }, expect: { throws: /invalid name/ } },
]);
