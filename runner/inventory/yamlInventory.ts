/**
 * Ansible's YAML inventory plugin (plugins/inventory/yaml.py): every top-level key is a group
 * (not only `all`), each with optional `hosts`, `vars` and `children`; a section given as a
 * scalar is a one-key mapping (`hosts: web1`); host keys may carry ranges and `:port`. What
 * Ansible skips with a warning is skipped with the same warning.
 */
import { InventoryError } from '../model/errors.ts';
import type { InventoryData } from './data.ts';
import { expandHostPattern } from './ranges.ts';
import { VaultValue } from './yaml11.ts';

const isMapping = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof VaultValue);

const pyType = (v: unknown) =>
  Array.isArray(v)
    ? "<class 'ansible.parsing.yaml.objects.AnsibleSequence'>"
    : typeof v === 'string'
      ? "<class 'ansible.parsing.yaml.objects.AnsibleUnicode'>"
      : typeof v === 'boolean'
        ? "<class 'bool'>"
        : typeof v === 'number'
          ? Number.isInteger(v)
            ? "<class 'int'>"
            : "<class 'float'>"
          : v instanceof VaultValue
            ? "<class 'ansible.parsing.yaml.objects.AnsibleVaultEncryptedUnicode'>"
            : `<class '${typeof v}'>`;

/** Fills `inv` from a parsed YAML inventory document; `plugin:` files are refused by the caller. */
export function parseYamlInventory(inv: InventoryData, file: string, data: unknown): void {
  if (
    data === null ||
    data === undefined ||
    (isMapping(data) && Object.keys(data).length === 0) ||
    data === '' ||
    data === false ||
    data === 0
  ) {
    throw new InventoryError(file, 'Parsed empty YAML file');
  }
  if (!isMapping(data))
    throw new InventoryError(file, `YAML inventory has invalid structure, it should be a dictionary, got: ${pyType(data)}`);
  for (const [name, body] of Object.entries(data)) parseGroup(inv, file, name, body);
}

function parseGroup(inv: InventoryData, file: string, name: string, body: unknown): string {
  if (!(body === null || isMapping(body))) {
    inv.warn(`Skipping '${name}' as this is not a valid group definition`);
    return name;
  }
  const group = inv.addGroup(file, name);
  if (body === null) return group;
  for (const section of ['vars', 'children', 'hosts']) {
    if (!(section in body)) continue;
    if (typeof body[section] === 'string') body[section] = { [body[section] as string]: null };
    if (!(body[section] === null || isMapping(body[section]))) {
      throw new InventoryError(
        file,
        `Invalid "${section}" entry for "${group}" group, requires a dictionary, found "${pyType(body[section])}" instead.`,
        { group, field: section },
      );
    }
  }
  for (const [key, value] of Object.entries(body)) {
    if (!(value === null || isMapping(value))) {
      inv.warn(`Skipping key (${key}) in group (${group}) as it is not a mapping, it is a ${pyType(value)}`);
      continue;
    }
    if (value === null) continue;
    if (key === 'vars') for (const [k, v] of Object.entries(value)) inv.setVariable(file, group, k, v);
    else if (key === 'children') {
      for (const [sub, subBody] of Object.entries(value)) inv.addChild(file, group, parseGroup(inv, file, sub, subBody));
    } else if (key === 'hosts') {
      for (const [pattern, hostVars] of Object.entries(value)) {
        const { names, port } = expandHostPattern(file, pattern);
        const vars = hostVars || {};
        if (!isMapping(vars))
          throw new InventoryError(file, `Invalid data from file, expected dictionary and got:\n\n${String(vars)}`, {
            group,
            host: pattern,
          });
        for (const h of names) {
          inv.addHost(file, h, group, port);
          for (const [k, v] of Object.entries(vars)) inv.setVariable(file, h, k, v);
        }
      }
    } else inv.warn(`Skipping unexpected key (${key}) in group (${group}), only "vars", "children" and "hosts" are valid`);
  }
  return group;
}
