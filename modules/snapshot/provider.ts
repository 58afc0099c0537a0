/** What a snapshot provider does, and how the inventory configures one per host. */

export interface SnapshotInfo {
  name: string;
  description?: string;
  /** Unix seconds, when the provider says. */
  time?: number;
}

export interface SnapshotProvider {
  /** For messages: `proxmox pve1/qemu/101`. */
  readonly label: string;
  list(): Promise<SnapshotInfo[]>;
  create(name: string, description: string): Promise<void>;
  rollback(name: string): Promise<void>;
  remove(name: string): Promise<void>;
  /** The command an admin runs to roll back by hand (printed in the recap after a failure). */
  rollbackCommand(name: string): string;
}

/** Proxmox VE over its HTTP API with an API token. */
export interface ProxmoxConfig {
  provider: 'proxmox';
  /** `https://pve1.example.net:8006` */
  url: string;
  node: string;
  vmid: number;
  /** `user@realm!tokenname` */
  tokenId: string;
  /** Environment variable holding the token's secret (never written in the inventory). */
  tokenSecretEnv: string;
  caFile?: string;
  pinSha256?: string;
  /** Include RAM state (`vmstate`). @default false */
  includeRam?: boolean;
  /** Give up waiting for a snapshot task after this long. @default 900 */
  taskTimeoutSec?: number;
  /** @default 1 */
  pollSec?: number;
}

/** VMware vSphere through `govc`, the CLI admins already use. */
export interface VmwareConfig {
  provider: 'vmware';
  /** The VM's inventory path or name, as `govc -vm` takes it. */
  vm: string;
  /** @default 'govc' on PATH */
  govc?: string;
  /** GOVC_URL, GOVC_USERNAME, GOVC_DATACENTER, GOVC_INSECURE, … (no password here). */
  env?: Record<string, string>;
  /** Environment variable holding the vSphere password (passed to govc as GOVC_PASSWORD). */
  passwordEnv?: string;
}

/** No snapshots, on purpose: preflight warns and names the reason. */
export interface NoSnapshotConfig {
  provider: 'none';
  waiver: string;
}

export type SnapshotConfig = ProxmoxConfig | VmwareConfig | NoSnapshotConfig;
