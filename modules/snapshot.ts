/**
 * Take (or delete) a VM snapshot of the host through its provider — Proxmox VE, VMware
 * (govc), or `none` as an explicit waiver. The provider comes from the host var `snapshot`.
 * Idempotent: a snapshot of that name that exists already is left alone.
 * Check mode: full (lists snapshots, creates nothing). Runs on the controller.
 *
 * @example
 * snapshot({ name: 'before-ubuntu-update', description: 'UCware 4.5 before apt full-upgrade' }, { tags: ['snapshot'] })
 */
import { defineModule, change, noop, type Plan, ParamError, RunnerError } from '../runner/module.ts';
import type { SnapshotConfig, SnapshotInfo, SnapshotProvider } from './snapshot/provider.ts';
import { ProxmoxProvider } from './snapshot/proxmox.ts';
import { VmwareProvider } from './snapshot/vmware.ts';

export type { SnapshotConfig } from './snapshot/provider.ts';

export interface SnapshotParams {
  /** Snapshot name, e.g. `before-ucware-5` (letters, digits, - _ .). */
  name: string;
  /** @default 'taken by ucw-runner' */
  description?: string;
  /** false deletes the snapshot. @default true */
  present?: boolean;
  /** Roll the VM back to this snapshot instead (the rollback playbook). @default false */
  rollback?: boolean;
}

export interface SnapshotResult {
  provider: string;
  name: string;
  /** How to roll back by hand. */
  rollbackCommand?: string;
}

interface Facts {
  provider?: SnapshotProvider;
  waiver?: string;
  existing: SnapshotInfo[];
}

export function providerFor(config: SnapshotConfig | undefined, host: string): SnapshotProvider | { waiver: string } {
  if (!config)
    throw new RunnerError(
      `${host}: no snapshot provider configured (host var "snapshot": proxmox, vmware, or { provider: 'none', waiver: '…' })`,
    );
  switch (config.provider) {
    case 'proxmox':
      return new ProxmoxProvider(config, host);
    case 'vmware':
      return new VmwareProvider(config, host);
    case 'none':
      return { waiver: config.waiver };
    default:
      throw new RunnerError(`${host}: unknown snapshot provider ${JSON.stringify((config as { provider: unknown }).provider)}`);
  }
}

export const snapshot = defineModule<SnapshotParams, Facts, SnapshotResult>({
  name: 'snapshot',
  summary: (p) => `${p.rollback ? 'roll back to' : p.present === false ? 'delete' : 'take'} ${p.name}`,
  validate: (p) => {
    if (!/^[A-Za-z][A-Za-z0-9_.-]{0,39}$/.test(p.name))
      throw new ParamError(`snapshot: invalid name ${JSON.stringify(p.name)} (a letter, then letters, digits, - _ .; at most 40)`);
  },
  facts: async (ctx) => {
    const p = providerFor(ctx.host.vars.snapshot as SnapshotConfig | undefined, ctx.host.name);
    if ('waiver' in p) return { waiver: p.waiver, existing: [] };
    return { provider: p, existing: await p.list() };
  },
  plan,
  apply: async (ctx, p, f) => {
    const prov = f.provider!;
    if (p.rollback) {
      ctx.output(`rolling ${prov.label} back to ${p.name}`);
      await prov.rollback(p.name);
    } else if (p.present === false) await prov.remove(p.name);
    else {
      ctx.output(`creating snapshot ${p.name} on ${prov.label}`);
      await prov.create(p.name, p.description ?? 'taken by ucw-runner');
    }
    return { result: { provider: prov.label, name: p.name, rollbackCommand: prov.rollbackCommand(p.name) } };
  },
});

/** Pure: provider facts → take, delete, roll back, or nothing. */
export function plan(p: SnapshotParams, f: Facts): Plan<SnapshotResult> {
  if (f.waiver !== undefined) return noop(`snapshots waived for this host: ${f.waiver}`, { provider: 'none', name: p.name });
  const label = f.provider?.label ?? 'provider';
  const exists = f.existing.some((s) => s.name === p.name);
  const result = { provider: label, name: p.name, rollbackCommand: f.provider?.rollbackCommand(p.name) };
  if (p.rollback) {
    if (!exists) throw new RunnerError(`no snapshot "${p.name}" on ${label} (have: ${f.existing.map((s) => s.name).join(', ') || 'none'})`);
    return change(`roll ${label} back to ${p.name}`, { steps: [], result });
  }
  if ((p.present ?? true) === exists) return noop(`snapshot ${p.name} ${exists ? 'exists' : 'is absent'} on ${label}`, result);
  return change(`${exists ? 'delete' : 'take'} snapshot ${p.name} on ${label}`, { steps: [], result });
}
