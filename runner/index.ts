/** What playbooks, inventories and modules import. */
export { playbook, block } from './dsl.ts';
export type { Playbook, PlaybookOptions, Task, TaskOptions, Block, BlockOptions, Item, HostView, Outcome, Serial } from './dsl.ts';
export { defineInventory } from './inventory.ts';
export type { HostVars, InventorySpec, HostSpec, GroupSpec, ConnectionSettings, Host } from './inventory.ts';
export { defineModule, noop, change, exec, upload } from './plan.ts';
export type { Plan, Step, FileDiff, ModuleContext, ModuleDef, Applied } from './plan.ts';
export { sh, quote, raw, secret, Secret } from './shell.ts';
export * from './errors.ts';
