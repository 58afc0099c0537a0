/** What playbooks and inventories import; modules import `./module.ts`. */
export { playbook, block } from './model/dsl.ts';
export type { Playbook, PlaybookOptions, Task, TaskOptions, Block, BlockOptions, Item, HostView, Outcome, Serial } from './model/dsl.ts';
export { defineInventory } from './inventory/load.ts';
export type { InventorySpec, HostSpec, GroupSpec, ConnectionSettings, Host } from './inventory/load.ts';
export type { HostVars } from './model/vars.ts';
export { defineModule } from './module.ts';
export { noop, change, exec, upload } from './model/plan.ts';
export type { Plan, Step, FileDiff, ModuleContext, ModuleDef, Applied } from './model/plan.ts';
export { sh, quote, raw, secret, Secret } from './model/shell.ts';
export * from './model/errors.ts';
