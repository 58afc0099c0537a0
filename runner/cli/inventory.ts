/**
 * `run inventory INV --list | --graph [GROUP] | --host NAME`: what the runner understood of an
 * inventory, printed as `ansible-inventory` prints it (the oracle suite holds the two to the
 * same output), so a user coming from Ansible can compare before the first run.
 */
import { UsageError } from '../model/errors.ts';
import { mask } from '../model/secrets.ts';
import { loadAnsibleSources, type AnsibleInventory } from '../inventory/ansible.ts';
import { graphInventory, listInventory, pyJson } from '../inventory/listJson.ts';
import { loadInventory } from '../inventory/load.ts';
import type { Vault } from '../inventory/vault.ts';

export async function inventoryCommand(
  args: string[],
  o: { list?: boolean; graph?: boolean; host?: string },
  vault: Vault,
): Promise<number> {
  const modes = [o.list, o.graph, o.host !== undefined].filter(Boolean).length;
  if (modes !== 1) throw new UsageError('run inventory needs exactly one of --list, --graph [GROUP], --host NAME');
  const [file, group, ...extra] = args;
  if (!file || extra.length || (group && !o.graph))
    throw new UsageError('usage: run inventory <inventory> --list | --graph [GROUP] | --host NAME');
  const inv = await ansibleView(file, vault);
  const out = (text: string) => process.stdout.write(mask(text) + (text.endsWith('\n') ? '' : '\n'));
  if (o.list) out(pyJson(listInventory(inv)));
  else if (o.graph) {
    if (group && !inv.data.groups.has(group))
      throw new UsageError(`--graph: no group "${group}" (Pattern must be valid group name when using --graph)`);
    out(graphInventory(inv, group));
  } else {
    const h = inv.data.hosts.get(o.host!) ?? inv.data.getHost(o.host!);
    if (!h) throw new UsageError(`--host: no host "${o.host}" in ${file}`);
    out(pyJson(inv.hostvars(h)));
  }
  for (const w of inv.warnings) process.stderr.write(`warning: ${mask(w)}\n`);
  return 0;
}

/** An Ansible inventory as is; a TypeScript one through the runner's loader, shown the same way. */
async function ansibleView(file: string, vault: Vault): Promise<AnsibleInventory> {
  if (!/\.[cm]?[jt]s$/.test(file)) return loadAnsibleSources([file], { vault });
  const inv = await loadInventory(file);
  const { tsAsAnsible } = await import('../inventory/tsAsAnsible.ts');
  return tsAsAnsible(inv);
}
