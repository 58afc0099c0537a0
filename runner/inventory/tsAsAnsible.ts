/**
 * A TypeScript inventory shown the way `ansible-inventory` shows one: its groups (members
 * flattened, as the runner resolved them) and each host's vars with the connection settings the
 * runner will use, under Ansible's names (`ansible_host`, `ansible_port`, `ansible_user`, …).
 */
import type { AnsibleInventory } from './ansible.ts';
import { InventoryData, type Vars } from './data.ts';
import type { Inventory } from './host.ts';

export function tsAsAnsible(inv: Inventory): AnsibleInventory {
  const data = new InventoryData();
  for (const [g, members] of inv.groups) {
    if (g === 'all') continue;
    data.addGroup(inv.file, g);
    for (const m of members) data.addHost(inv.file, m, g);
  }
  for (const h of inv.hosts) data.addHost(inv.file, h.name);
  data.reconcile();
  const byName = new Map(inv.hosts.map((h) => [h.name, h]));
  return {
    data,
    sources: [inv.file],
    warnings: inv.warnings,
    groupvars: () => ({}),
    hostvars(host) {
      const h = byName.get(host.name);
      if (!h) return {};
      const conn: Vars = { ansible_host: h.address, ansible_port: h.port, ansible_user: h.user, ansible_connection: h.connection };
      if (h.identityFiles.length) conn.ansible_ssh_private_key_file = h.identityFiles.length === 1 ? h.identityFiles[0] : h.identityFiles;
      return { ...h.vars, ...conn, ...(h.tags.length ? { tags: h.tags } : {}) };
    },
  };
}
